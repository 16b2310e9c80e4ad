"""Untrusted-file intake: sniffing by content, safety checks, both engines agreeing,
and the sandbox that kills parsers which hang or eat memory.

Files are built per test (xlsxwriter, openpyxl, or raw OOXML/ODS/CFB bytes); the few
checks that need real third-party files read them from ../shared/corpus at run time
and skip when it is absent.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing as mp
import os
import signal
import struct
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from xlkpss.read.files import read_workbook
from xlkpss.read.model import RawWorkbook, ReadError
from xlkpss.read.safety import ReadLimits
from xlkpss.read.sandbox import map_safely, read_safely
from xlkpss.read.sniff import sniff

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")

# --------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def write_ooxml(
    path: Path,
    sheets: list[tuple[str, str]],
    *,
    shared: list[str] | None = None,
    hidden: tuple[str, ...] = (),
    strict: bool = False,
    macro: bool = False,
    extra: dict[str, bytes] | None = None,
    prolog: str = "",
) -> Path:
    """A minimal xlsx written by hand: ``sheets`` are (name, inner XML of <sheetData>).

    ``prolog`` is inserted before the root element of the shared strings part (used to
    smuggle in a DOCTYPE); ``extra`` adds or replaces raw members.
    """
    main, rel = (_STRICT_MAIN, _STRICT_REL) if strict else (_MAIN, _REL)
    main_ct = (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        if macro
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    )
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{main_ct}"/>']
    sheet_els, rel_els = [], []
    parts: dict[str, bytes] = {}
    for i, (name, data) in enumerate(sheets, start=1):
        state = ' state="hidden"' if name in hidden else ""
        sheet_els.append(f'<sheet name="{name}" sheetId="{i}"{state} r:id="rId{i}"/>')
        rel_els.append(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        overrides.append(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
        parts[f"xl/worksheets/sheet{i}.xml"] = (
            f'{_XML_DECL}<worksheet xmlns="{main}" xmlns:r="{rel}"><sheetData>{data}</sheetData></worksheet>'
        ).encode()
    if shared is not None:
        n = len(sheets) + 1
        rel_els.append(f'<Relationship Id="rId{n}" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>')
        overrides.append(
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        items = "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in shared)
        parts["xl/sharedStrings.xml"] = (
            f'{_XML_DECL}{prolog}<sst xmlns="{main}" count="{len(shared)}" uniqueCount="{len(shared)}">{items}</sst>'
        ).encode()
    parts["[Content_Types].xml"] = (
        f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>"
    ).encode()
    parts["_rels/.rels"] = (
        f'{_XML_DECL}<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ).encode()
    parts["xl/workbook.xml"] = (
        f'{_XML_DECL}<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>{"".join(sheet_els)}</sheets></workbook>'
    ).encode()
    parts["xl/_rels/workbook.xml.rels"] = (
        f'{_XML_DECL}<Relationships xmlns="{_PKG_REL}">{"".join(rel_els)}</Relationships>'
    ).encode()
    parts.update(extra or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)


def write_ods(path: Path, tables: dict[str, str], *, content_prolog: str = "", mimetype: bool = True) -> Path:
    """A minimal ods: ``tables`` maps sheet name -> table rows XML."""
    body = "".join(f'<table:table table:name="{n}">{rows}</table:table>' for n, rows in tables.items())
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{content_prolog}<office:document-content {_ODS_NS} '
        f'office:version="1.2"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>'
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {_ODS_NS}><office:meta>'
        "<meta:generator>LibreOffice/7.4.7.2$Linux_X86_64</meta:generator></office:meta></office:document-meta>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if mimetype:
            zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr("meta.xml", meta)
        zf.writestr("META-INF/manifest.xml", manifest)
    return path


_ENDOFCHAIN, _FREESECT, _FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD


def cfb_bytes(streams: dict[str, bytes], *, directory_loop: bool = False) -> bytes:
    """A minimal version-3 compound file (the OLE2 container of .xls/.doc/encrypted xlsx).

    Sector 0 holds the FAT, sector 1 the directory (at most 3 streams), the streams
    follow.  Streams shorter than 4096 bytes are padded so that they live in regular
    sectors (no mini stream needed).
    """
    assert len(streams) <= 3
    data_sectors: list[bytes] = []
    fat = [_FATSECT, _FREESECT if directory_loop else _ENDOFCHAIN]
    if directory_loop:
        fat[1] = 1  # the directory chain points back to itself
    entries = []
    names = list(streams)
    for i, name in enumerate(names):
        payload = streams[name]
        if payload:
            payload = payload.ljust(max(4096, -(-len(payload) // 512) * 512), b"\0")
        start = 2 + len(data_sectors) if payload else _ENDOFCHAIN
        count = len(payload) // 512
        for k in range(count):
            data_sectors.append(payload[k * 512 : (k + 1) * 512])
            fat.append(start + k + 1 if k + 1 < count else _ENDOFCHAIN)
        right = i + 2 if i + 1 < len(names) else 0xFFFFFFFF
        entries.append(_dir_entry(name, 2, 0xFFFFFFFF, right, 0xFFFFFFFF, start, len(payload)))
    root = _dir_entry("Root Entry", 5, 0xFFFFFFFF, 0xFFFFFFFF, 1 if names else 0xFFFFFFFF, _ENDOFCHAIN, 0)
    directory = b"".join([root, *entries]).ljust(512, b"\0")
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        1,
        1,
        0,
        4096,
        _ENDOFCHAIN,
        0,
        _ENDOFCHAIN,
        0,
    ) + struct.pack("<109I", 0, *([_FREESECT] * 108))
    return header + fat_sector + directory + b"".join(data_sectors)


def _dir_entry(name: str, typ: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0"
    return (
        raw.ljust(64, b"\0")
        + struct.pack("<HBB", len(raw), typ, 1)
        + struct.pack("<III", left, right, child)
        + b"\0" * 16
        + struct.pack("<I", 0)
        + b"\0" * 16
        + struct.pack("<IQ", start, size)
    )


def _biff(*records: tuple[int, bytes]) -> bytes:
    return b"".join(struct.pack("<HH", rtype, len(data)) + data for rtype, data in records)


_BOF = (0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x1FAE, 0x07CD, 0, 0))


def make_xlsx(path: Path, build) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    build(wb)
    wb.close()
    return path


def both_engines(path: Path, limits: ReadLimits | None = None) -> RawWorkbook:
    """Read with both engines, assert they agree, return the result."""
    cal = read_workbook(path, engine="calamine", limits=limits)
    ref = read_workbook(path, engine="openpyxl", limits=limits)
    assert cal == ref
    return cal


# --------------------------------------------------------------------------------------
# sniffing: content, not extension
# --------------------------------------------------------------------------------------


def test_sniff_xlsx_by_content_whatever_the_name(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "data.xls", lambda wb: wb.add_worksheet().write("A1", "x"))
    assert sniff(path) == "xlsx"
    wb = read_workbook(path)  # calamine would pick its xls parser from the name
    assert wb.format == "xlsx" and wb.sheets[0].rows == [["x"]]
    assert read_workbook(path, engine="openpyxl") == wb  # openpyxl refuses by extension otherwise


def test_sniff_xlsm_by_vba_project_or_content_type(tmp_path: Path) -> None:
    with_vba = write_ooxml(tmp_path / "a.xlsx", [("S", "")], extra={"xl/vbaProject.bin": b"\0" * 16})
    by_type = write_ooxml(tmp_path / "b.xlsx", [("S", "")], macro=True)
    assert sniff(with_vba) == "xlsm"
    assert sniff(by_type) == "xlsm"
    assert read_workbook(by_type).format == "xlsm"


def test_sniff_ods_and_its_generator(tmp_path: Path) -> None:
    path = write_ods(
        tmp_path / "a.bin",
        {
            "List1": '<table:table-row><table:table-cell office:value-type="string">'
            "<text:p>ahoj</text:p></table:table-cell></table:table-row>"
        },
    )
    assert sniff(path) == "ods"
    wb = read_workbook(path)
    assert wb.sheets[0].rows == [["ahoj"]]
    assert wb.application and wb.application.startswith("LibreOffice/7.4")


@pytest.mark.parametrize(
    "content, expected",
    [
        ("Obec;Částka\nŘíčany;12500,5\n".encode("cp1250"), "CSV text"),
        (b"name,amount\nA,1\nB,2\n", "CSV text"),
        (
            b'<html><head><meta charset="utf-8"></head><body><table><tr><td>1</td></tr></table></body></html>',
            "HTML stránka",
        ),
        (b"\xef\xbb\xbf<!DOCTYPE html>\n<html><body>x</body></html>", "HTML stránka"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        (b"just a note for the office\n", "text"),
        (
            b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
            "sešit Excel 2003 XML",
        ),
        (b"\x09\x04\x06\x00\x00\x00\x10\x00" + b"\0" * 40, "starý sešit Excel 2.0–4.0"),
        (b"\x00\x01\x02\x03\x04binary\x00\x00", "neznámý binární formát"),
        (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\0" * 40, "metadata macOS ke stejnojmennému souboru"),
    ],
)
def test_not_a_spreadsheet_is_described(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(ReadError) as err:
        read_workbook(path)
    assert err.value.code == "file-not-spreadsheet"
    assert err.value.value.startswith(expected)


def test_flat_ods_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "a.fods"
    path.write_text(
        '<?xml version="1.0"?>\n<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'office:mimetype="application/vnd.oasis.opendocument.spreadsheet"/>'
    )
    with pytest.raises(ReadError) as err:
        sniff(path)
    assert err.value.code == "file-not-spreadsheet" and ".fods" in err.value.value


_WORKBOOK = "file-not-spreadsheet"


@pytest.mark.parametrize(
    "members, code, expected",
    [
        ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}, _WORKBOOK, "dokument Word"),
        ({"ppt/presentation.xml": b"<p/>"}, _WORKBOOK, "prezentace PowerPoint"),
        ({"Index/Document.iwa": b"\0", "Metadata/Properties.plist": b"\0"}, _WORKBOOK, "sešit Apple Numbers"),
        ({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\0"}, _WORKBOOK, "binární sešit Excel .xlsb"),
        ({"photo.jpg": b"\xff\xd8\xff"}, _WORKBOOK, "archiv ZIP"),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"},
            _WORKBOOK,
            "dokument OpenDocument Text",
        ),
        # a ZIP of workbooks (an e-mailed attachment): what is in it, to be unpacked
        ({"a.xlsx": b"PK", "b/c.ODS": b"PK", "._a.xlsx": b"\0", "~$a.xlsx": b"\0"}, "file-archive", "2 sešity: a.xlsx, c.ODS"),
        ({f"obec_{i}.xlsx": b"PK" for i in range(5)}, "file-archive", "5 sešitů: obec_0.xlsx, obec_1.xlsx, obec_2.xlsx a 2 další"),
        ({"navod.pdf": b"%PDF", "x/sluzby.xls": b"\0"}, "file-archive", "1 sešit: sluzby.xls"),
    ],
)
def test_zip_that_is_not_a_workbook(tmp_path: Path, members: dict[str, bytes], code: str, expected: str) -> None:
    path = tmp_path / "upload.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ReadError) as err:
        read_workbook(path)
    assert err.value.code == code
    assert err.value.value.startswith(expected) if code == _WORKBOOK else err.value.value == expected


def test_missing_empty_and_too_large(tmp_path: Path) -> None:
    with pytest.raises(ReadError) as err:
        read_workbook(tmp_path / "nope.xlsx")
    assert err.value.code == "file-not-found"
    with pytest.raises(ReadError) as err:
        read_workbook(tmp_path)  # a folder is not a file either
    assert err.value.code == "file-not-found"
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(ReadError) as err:
        read_workbook(empty)
    assert err.value.code == "file-empty"
    big = make_xlsx(tmp_path / "big.xlsx", lambda wb: wb.add_worksheet().write("A1", "x"))
    with pytest.raises(ReadError) as err:
        read_workbook(big, limits=ReadLimits(max_bytes=1000))
    assert err.value.code == "file-too-large"
    assert err.value.value.endswith("kB") and err.value.expected


def test_truncated_zip_is_corrupt(tmp_path: Path) -> None:
    good = make_xlsx(tmp_path / "good.xlsx", lambda wb: wb.add_worksheet().write("A1", "x" * 1000))
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 22):
        bad = tmp_path / f"cut{cut}.xlsx"
        bad.write_bytes(data[:cut])
        for engine in ("calamine", "openpyxl"):
            with pytest.raises(ReadError) as err:
                read_workbook(bad, engine=engine)
            assert err.value.code == "file-corrupt"


def test_broken_parts_are_corrupt_not_tracebacks(tmp_path: Path) -> None:
    cut_xml = f'{_XML_DECL}<worksheet xmlns="{_MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v'.encode()
    bad_xml = write_ooxml(tmp_path / "a.xlsx", [("S", "")], extra={"xl/worksheets/sheet1.xml": cut_xml})
    no_workbook = tmp_path / "b.xlsx"
    with zipfile.ZipFile(no_workbook, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    for path in (bad_xml, no_workbook):
        for engine in ("calamine", "openpyxl"):
            with pytest.raises(ReadError) as err:
                read_workbook(path, engine=engine)
            assert err.value.code == "file-corrupt", (path, engine)
            assert err.value.value


def test_unknown_engine_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        read_workbook(tmp_path / "x.xlsx", engine="pandas")


# --- OLE2 containers ------------------------------------------------------------------


def test_encrypted_ooxml_in_ole_container(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(cfb_bytes({"EncryptionInfo": b"\x04\x00\x04\x00" * 64, "EncryptedPackage": b"\x01" * 600}))
    for engine in ("calamine", "openpyxl"):
        with pytest.raises(ReadError) as err:
            read_workbook(path, engine=engine)
        assert err.value.code == "file-encrypted"


def test_xls_with_filepass_is_encrypted_and_plain_xls_is_xls(tmp_path: Path) -> None:
    locked = tmp_path / "locked.xls"
    locked.write_bytes(cfb_bytes({"Workbook": _biff(_BOF, (0x002F, b"\x01\x00" + b"\0" * 52))}))
    with pytest.raises(ReadError) as err:
        sniff(locked)
    assert err.value.code == "file-encrypted"
    plain = tmp_path / "plain.bin"
    plain.write_bytes(cfb_bytes({"Workbook": _biff(_BOF, (0x0042, b"\xe2\x04"))}))
    assert sniff(plain) == "xls"


def test_other_ole_documents(tmp_path: Path) -> None:
    doc = tmp_path / "letter.xls"
    doc.write_bytes(cfb_bytes({"WordDocument": b"\xec\xa5" * 300}))
    with pytest.raises(ReadError) as err:
        sniff(doc)
    assert (err.value.code, err.value.value) == ("file-not-spreadsheet", "dokument Word 97–2003 (.doc)")
    loop = tmp_path / "loop.xls"
    loop.write_bytes(cfb_bytes({"Workbook": _biff(_BOF)}, directory_loop=True))
    with pytest.raises(ReadError) as err:
        sniff(loop)
    assert err.value.code == "file-corrupt"
    stub = tmp_path / "stub.xls"
    stub.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(ReadError) as err:
        sniff(stub)
    assert err.value.code == "file-corrupt"


# --------------------------------------------------------------------------------------
# safety
# --------------------------------------------------------------------------------------


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    path = write_ooxml(
        tmp_path / "bomb.xlsx",
        [("S", "")],
        extra={"xl/media/padding.xml": b"<a>" + b" " * (30 * 1024 * 1024) + b"</a>"},
    )
    with pytest.raises(ReadError) as err:
        sniff(path)
    assert err.value.code == "file-unsafe" and "zip bomb" in err.value.value


def test_zip_bomb_by_total_size(tmp_path: Path) -> None:
    path = write_ooxml(tmp_path / "big.xlsx", [("S", "")], extra={"xl/media/a.bin": os.urandom(300_000)})
    assert sniff(path) == "xlsx"
    with pytest.raises(ReadError) as err:
        sniff(path, ReadLimits(max_uncompressed=200_000))
    assert err.value.code == "file-unsafe" and "zip bomb" in err.value.value


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
)


@pytest.mark.parametrize(
    "prolog",
    [
        _LAUGHS,
        '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
        '<!-- a comment first -->\n<!DOCTYPE sst SYSTEM "http://example.invalid/x.dtd">\n',
        # a prolog longer than the first peek (1 KB): the DOCTYPE is found in the full window
        "<!-- " + "x" * 3000 + " -->\n" + _LAUGHS,
        "<?pi " + "y" * 1500 + "?>\n" * 2 + '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
    ],
)
def test_xml_with_dtd_is_refused(tmp_path: Path, prolog: str) -> None:
    path = write_ooxml(
        tmp_path / "xxe.xlsx", [("S", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>')], shared=["&amp;"], prolog=prolog
    )
    for engine in ("calamine", "openpyxl"):
        with pytest.raises(ReadError) as err:
            read_workbook(path, engine=engine)
        assert err.value.code == "file-unsafe"


def test_ods_with_dtd_in_content_is_refused(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "x.ods", {"A": "<table:table-row/>"}, content_prolog=_LAUGHS)
    with pytest.raises(ReadError) as err:
        read_workbook(path)
    assert err.value.code == "file-unsafe"


def test_dtd_in_a_part_nobody_parses_is_fine(tmp_path: Path) -> None:
    # LibreOffice Basic modules carry a DOCTYPE; we never parse them
    path = write_ods(tmp_path / "macro.ods", {"A": ""})
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(
            "Basic/Standard/Module1.xml",
            '<?xml version="1.0"?>\n<!DOCTYPE script:module PUBLIC '
            '"-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n<script:module/>',
        )
    assert sniff(path) == "ods"


_XXE_PROLOG = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _with_dtd(xml: bytes) -> bytes:
    """The same part with a DOCTYPE after its XML declaration."""
    decl, _, rest = xml.partition(b"?>")
    return decl + b"?>" + _XXE_PROLOG.encode() + rest


def _add_dtd(path: Path, member: str) -> None:
    """Rewrite the package with a DTD in ``member``."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts[member] = _with_dtd(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_dtd_in_a_worksheet_is_refused_before_calamine_parses_it(tmp_path: Path) -> None:
    path = write_ooxml(tmp_path / "s.xlsx", [("A", '<row r="1"><c r="A1"><v>1</v></c></row>'), ("B", "")])
    _add_dtd(path, "xl/worksheets/sheet1.xml")
    for engine in ("calamine", "openpyxl"):
        with pytest.raises(ReadError) as err:
            read_workbook(path, engine=engine)
        assert err.value.code == "file-unsafe" and "sheet1.xml" in err.value.value
    # lazily: the other sheet reads; the sheet with the DTD is refused at its first use
    wb = read_workbook(path, lazy=True)
    assert wb.sheet("B").rows == []
    with pytest.raises(ReadError) as err:
        wb.sheet("A").rows
    assert err.value.code == "file-unsafe"


def test_dtd_in_the_package_relationships_is_refused(tmp_path: Path) -> None:
    path = write_ooxml(tmp_path / "r.xlsx", [("A", "")])
    _add_dtd(path, "_rels/.rels")
    with pytest.raises(ReadError) as err:
        sniff(path)
    assert err.value.code == "file-unsafe" and ".rels" in err.value.value


def test_dtd_in_document_properties_only_matters_to_openpyxl(tmp_path: Path) -> None:
    # docProps/core.xml: python-calamine and this package never parse it, openpyxl does
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + _XXE_PROLOG + "<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"/>'
    ).encode()
    path = write_ooxml(tmp_path / "p.xlsx", [("A", '<row r="1"><c r="A1"><v>7</v></c></row>')], extra={"docProps/core.xml": core})
    assert read_workbook(path).sheet("A").rows == [[7]]
    with pytest.raises(ReadError) as err:
        read_workbook(path, engine="openpyxl")
    assert err.value.code == "file-unsafe" and "core.xml" in err.value.value


def test_members_read_exactly_what_zipfile_reads(tmp_path: Path) -> None:
    from xlkpss.read.zipparts import Members

    path = write_ooxml(tmp_path / "m.xlsx", [("A", '<row r="1"><c r="A1"><v>1</v></c></row>' * 50)], shared=["x" * 3000])
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        m = Members(zf, data)
        for name in zf.namelist():
            assert m.read(name) == zf.read(name)
            assert m.read(name, 100) == zf.open(name).read(100)
            assert m.head(zf.getinfo(name), 1024) == zf.open(name).read(1024)
            assert m.head(zf.getinfo(name), 1024) == zf.open(name).read(1024)  # memoised: the same bytes
    # a member whose bytes do not match its CRC: read in full, zipfile decides (and refuses)
    info = zipfile.ZipFile(path).getinfo("xl/workbook.xml")
    bad = bytearray(data)
    crc_at = data.rindex(b"PK\x01\x02", 0, data.rindex(b"xl/workbook.xml")) + 16
    bad[crc_at : crc_at + 4] = struct.pack("<I", info.CRC ^ 1)
    (tmp_path / "crc.xlsx").write_bytes(bytes(bad))
    with pytest.raises(ReadError) as err:
        sniff(tmp_path / "crc.xlsx")
    assert err.value.code == "file-corrupt" and "CRC" in err.value.value


def test_a_member_declared_empty_is_not_inflated(tmp_path: Path) -> None:
    from xlkpss.read.zipparts import Members

    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.xml", b"x" * 20_000_000)
    data = bytearray(path.read_bytes())
    data[22:26] = bytes(4)  # the declared size, local header and directory: 0
    cd = data.index(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = bytes(4)
    data = bytes(data)
    zf = zipfile.ZipFile(io.BytesIO(data))
    info = zf.getinfo("a.xml")
    members = Members(zf, data)
    # zlib's max_length 0 means "no limit": reading it as zipfile does reads nothing
    assert members.head(info, -1) == b"" and members.head(info, 1024) == b""
    with pytest.raises(zipfile.BadZipFile):  # the CRC is the 20 MB's, as zipfile finds too
        members.read("a.xml")


# --------------------------------------------------------------------------------------
# values: both engines give identical RawWorkbooks
# --------------------------------------------------------------------------------------


def _typed_values(wb: Any) -> None:
    date_fmt = wb.add_format({"num_format": "d. m. yyyy"})
    dt_fmt = wb.add_format({"num_format": "d. m. yyyy h:mm"})
    time_fmt = wb.add_format({"num_format": "h:mm"})
    ws = wb.add_worksheet("Služby")
    ws.write_row("A1", ["Název", "Počet", "Podíl", "Od", "Změněno", "Čas", "Aktivní", "Pozn."])
    ws.write_row("A2", ["  Domov Jirkov ", 120, 0.25])
    ws.write_datetime("D2", dt.datetime(2024, 1, 15), date_fmt)
    ws.write_datetime("E2", dt.datetime(2024, 1, 15, 13, 45), dt_fmt)
    ws.write_datetime("F2", dt.datetime(1899, 12, 31, 8, 30), time_fmt)
    ws.write_boolean("G2", True)
    ws.write_string("H2", "   ")  # whitespace only: blank
    ws.write_row("A3", ["Stacionář", 3.0, -1.5e-3])
    ws.write_boolean("G3", False)
    ws.write_number("B5", 12_345_678_901)  # a gap row, then a big whole number
    ws.write_blank("Z20", None, date_fmt)  # formatted but empty: not data
    hidden = wb.add_worksheet("Číselníky")
    hidden.write_column("A1", ["ano", "ne"])
    hidden.hide()
    wb.add_worksheet("Prázdný")


def _formula_errors(wb: Any) -> None:
    ws = wb.add_worksheet("Data")
    ws.write_row("A1", ["a", "b", "c"])
    ws.write_formula("A2", "=1/0", None, "#DIV/0!")
    ws.write_formula("B2", "=NA()", None, "#N/A")
    ws.write_formula("C2", "=B1+1", None, 3)
    ws.write_formula("D2", '=""&A1', None, "a")
    ws.write_formula("C4", "=#REF!", None, "#REF!")  # an error alone in the last row


def _stale_dimension(path: Path) -> Path:
    """A sheet whose <dimension> claims A1 while data go to C40 (openpyxl read_only
    would read one cell without reset_dimensions)."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="C{r}" t="s"><v>0</v></c></row>' for r in range(1, 41))
    path = write_ooxml(path, [("S", rows)], shared=["x"])
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"<sheetData>", b'<dimension ref="A1"/><sheetData>'
    )
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
    return path


def test_engines_agree_on_typed_values(tmp_path: Path) -> None:
    wb = both_engines(make_xlsx(tmp_path / "t.xlsx", _typed_values))
    assert wb.format == "xlsx" and wb.application == "Microsoft Excel"
    data, lists, empty = wb.sheets
    assert data.rows == [
        ["Název", "Počet", "Podíl", "Od", "Změněno", "Čas", "Aktivní", "Pozn."],
        ["Domov Jirkov", 120, 0.25, dt.date(2024, 1, 15), dt.datetime(2024, 1, 15, 13, 45), dt.time(8, 30), True],
        ["Stacionář", 3, -0.0015, None, None, None, False],
        [],
        [None, 12_345_678_901],
    ]
    assert type(data.rows[2][1]) is int and type(data.rows[1][6]) is bool
    assert (lists.hidden, lists.rows) == (True, [["ano"], ["ne"]])
    assert (empty.name, empty.rows, empty.hidden) == ("Prázdný", [], False)
    assert data.errors == {}


def test_engines_agree_on_formula_errors(tmp_path: Path) -> None:
    wb = both_engines(make_xlsx(tmp_path / "e.xlsx", _formula_errors))
    sheet = wb.sheets[0]
    assert sheet.errors == {(1, 0): "#DIV/0!", (1, 1): "#N/A", (3, 2): "#REF!"}
    assert sheet.rows == [["a", "b", "c"], [None, None, 3, "a"]]


def test_engines_agree_on_openpyxl_written_file(tmp_path: Path) -> None:
    owb = openpyxl.Workbook()
    ws = owb.active
    ws.title = "List"
    ws.append(["kód", "datum", "částka"])
    ws.append(["  A1 ", dt.datetime(2023, 12, 31), 1250.5])
    ws.append([None, dt.date(2024, 2, 29), 7])
    ws["E10"] = ""
    owb.save(tmp_path / "o.xlsx")
    wb = both_engines(tmp_path / "o.xlsx")
    assert wb.sheets[0].rows == [
        ["kód", "datum", "částka"],
        ["A1", dt.date(2023, 12, 31), 1250.5],
        [None, dt.date(2024, 2, 29), 7],
    ]


def test_engines_agree_on_hand_written_xml(tmp_path: Path) -> None:
    rows = (
        # LibreOffice writes booleans as formulas with a cached value
        '<row r="1"><c r="A1" t="b"><f>TRUE()</f><v>1</v></c><c r="B1" t="b"><f>FALSE()</f><v>0</v></c></row>'
        # cells and rows without r attributes count on from the previous ones
        '<row><c><v>1</v></c><c t="inlineStr"><is><t> inline </t></is></c><c t="e"><v>#VALUE!</v></c></row>'
        # escapes Excel writes for control characters
        '<row r="5"><c r="B5" t="s"><v>0</v></c><c r="C5" t="str"><f>A1&amp;""</f><v>TRUE</v></c></row>'
        '<row r="6"><c r="A6" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    )
    path = write_ooxml(tmp_path / "h.xlsx", [("S", rows)], shared=["řádek_x000D_\ndruhý"])
    wb = both_engines(path)
    sheet = wb.sheets[0]
    assert sheet.rows == [[True, False], [1, "inline"], [], [], [None, "řádek\r\ndruhý", "TRUE"]]
    assert sheet.errors == {(1, 2): "#VALUE!", (5, 0): "#DIV/0!"}
    assert not any(isinstance(v, str) and v.startswith("=") for row in sheet.rows for v in row)


def _calamine(path: Path) -> Any:
    import python_calamine as pc

    return pc.CalamineWorkbook.from_path(str(path))


def calamine_refuses(read: Any, reason: str) -> bool:
    """Whether python-calamine itself fails to read the file, for ``reason`` (0.9 does; a
    later release may read it — then the engine's own reading is what is tested)."""
    try:
        read()
    except Exception as exc:  # noqa: BLE001 - whatever calamine raises
        assert reason in str(exc), exc
        return True
    return False


#: the error values Excel 365 added, which python-calamine 0.9 refuses (it fails the sheet)
EXCEL_365_ERRORS = ("#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#BUSY!", "#CONNECT!", "#GETTING_DATA")


@pytest.mark.parametrize("error", EXCEL_365_ERRORS)
def test_excel_365_error_values_are_formula_errors_not_a_corrupt_file(tmp_path: Path, error: str) -> None:
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1</v></c></row>'
        f'<row r="2"><c r="A2"><v>2</v></c><c r="B2" t="e"><f>FILTER(A1:A9,A1:A9&gt;5)</f><v>{error}</v></c>'
        '<c r="C2" t="e"><v>#N/A</v></c></row>'
        '<row r="3"><c r="A3"><v>3</v></c></row>'
        f'<row r="40"><c r="A40"><v>40</v></c><c r="B40" t="e"><v>{error}</v></c></row>'
    )
    path = write_ooxml(tmp_path / "excel365.xlsx", [("Data", rows), ("Jiný", '<row r="1"><c r="A1"><v>7</v></c></row>')],
                       shared=["název"])
    calamine_refuses(lambda: _calamine(path).get_sheet_by_name("Data").to_python(), "Unsupported cell error value")
    limits = ReadLimits(max_rows=10)
    wb = both_engines(path, limits)  # eager calamine (openpyxl for this sheet) == openpyxl
    data, other = wb.sheets
    assert data.rows == [["název", 1], [2], [3]] + [[]] * 7  # the first 10 rows (the limit)
    assert data.errors == {(1, 1): error, (1, 2): "#N/A"}  # the one beyond the row limit dropped
    assert wb.truncated == {"Data": 40}
    assert other.rows == [[7]] and other.errors == {}
    lazy = read_workbook(path, lazy=True, limits=limits)  # validation's way: the sheet at first use
    assert lazy == wb and lazy.truncated == {"Data": 40}


def test_a_sheet_calamine_refuses_is_read_by_openpyxl(tmp_path: Path) -> None:
    # pretty-printed sheet XML (corpus: LibreOffice's ooxml-strict/calc/templates): python-calamine
    # fails the whole sheet on a number with line breaks around it, openpyxl reads it
    rows = '<row r="1">\n<c r="A1" t="s">\n<v>\n0</v>\n</c>\n<c r="B1" t="n">\n<v>\n5</v>\n</c>\n</row>'
    path = write_ooxml(tmp_path / "pretty.xlsx", [("S", rows)], shared=["počet"])
    calamine_refuses(lambda: _calamine(path).get_sheet_by_name("S").to_python(), "Parse float error")
    wb = both_engines(path)
    assert wb.sheets[0].rows == [["počet", 5]]
    assert read_workbook(path, lazy=True) == wb
    # a sheet neither can read is still the file-corrupt calamine reported, naming the sheet
    broken = write_ooxml(tmp_path / "broken.xlsx", [("S", rows)], shared=["počet"], extra={"xl/worksheets/sheet1.xml": b"<worksheet"})
    for lazy in (False, True):
        with pytest.raises(ReadError) as err:
            read_workbook(broken, lazy=lazy).sheets[0].rows
        assert err.value.code == "file-corrupt" and "„S“" in str(err.value)


def test_a_workbook_calamine_cannot_open_is_read_by_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the workbook part in UTF-16 (corpus: PhpSpreadsheet's utf16be.xlsx): calamine refuses to open it
    path = write_ooxml(tmp_path / "u16.xlsx", [("S", '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>5</v></c></row>')],
                       shared=["žluť"])  # fmt: skip
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].decode().replace('"UTF-8"', '"UTF-16"').encode("utf-16")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    refused = calamine_refuses(lambda: _calamine(path), "workbook")  # XmlError: workbook
    wb = both_engines(path)
    assert [(s.name, s.rows) for s in wb.sheets] == [("S", [["žluť", 5]])]
    assert read_workbook(path, lazy=True) == wb
    if not refused:
        return  # a later python-calamine reads it: nothing falls back
    # when openpyxl cannot either, the file is corrupt with calamine's reason
    import xlkpss.read.engine_calamine as engine

    def refuse(*_args: Any) -> None:
        raise ValueError("openpyxl cannot")

    monkeypatch.setattr(engine, "read_openpyxl", refuse)
    for lazy in (False, True):
        with pytest.raises(ReadError) as err:
            read_workbook(path, lazy=lazy)
        assert err.value.code == "file-corrupt" and "XmlError" in str(err.value)


def test_merged_ranges_are_read_alike_by_both_engines(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 31))
    merges = '<mergeCells count="3"><mergeCell ref="D2:D4"/><mergeCell ref="B6:C6"/><mergeCell ref="E8:F29"/></mergeCells>'
    path = write_ooxml(tmp_path / "m.xlsx", [("S", rows)], extra={})
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"</sheetData>", b"</sheetData>" + merges.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    wb = both_engines(path, ReadLimits(max_rows=20))  # calamine's list == the one read from the XML for openpyxl
    assert wb.sheets[0].merged == [(1, 3, 3, 3), (5, 1, 5, 2), (7, 4, 19, 5)]  # the last cut at the row limit
    assert read_workbook(path, lazy=True, limits=ReadLimits(max_rows=20)) == wb


def test_stale_dimension_is_ignored(tmp_path: Path) -> None:
    wb = both_engines(_stale_dimension(tmp_path / "stale.xlsx"))
    assert len(wb.sheets[0].rows) == 40 and wb.sheets[0].rows[-1] == [40, None, "x"]


def test_row_limit_truncates_and_reports_total(tmp_path: Path) -> None:
    def build(wb: Any) -> None:
        ws = wb.add_worksheet("Dlouhý")
        for r in range(30):
            ws.write_row(r, 0, [r, f"řádek {r}"])
        ws.write_formula("C3", "=1/0", None, "#DIV/0!")
        ws.write_formula("C25", "=1/0", None, "#DIV/0!")  # beyond the limit: dropped too
        wb.add_worksheet("Krátký").write("A1", 1)

    limits = ReadLimits(max_rows=10)
    wb = both_engines(make_xlsx(tmp_path / "long.xlsx", build), limits)
    assert wb.truncated == {"Dlouhý": 30}
    assert len(wb.sheets[0].rows) == 10 and wb.sheets[0].errors == {(2, 2): "#DIV/0!"}
    assert wb.sheets[1].rows == [[1]]


def test_1904_dates_agree(tmp_path: Path) -> None:
    def build(wb: Any) -> None:
        wb.add_worksheet().write_datetime("A1", dt.datetime(2024, 5, 1), wb.add_format({"num_format": "d.m.yyyy"}))

    path = tmp_path / "mac.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    build(wb)
    wb.close()
    assert both_engines(path).sheets[0].rows == [[dt.date(2024, 5, 1)]]


def test_strict_ooxml_is_read_by_both_engines(tmp_path: Path) -> None:
    path = write_ooxml(
        tmp_path / "strict.xlsx",
        [
            (
                "Data",
                (
                    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>42</v></c></row>'
                    '<row r="2"><c r="A2" t="e"><v>#N/A</v></c></row>'
                ),
            )
        ],
        shared=["ahoj"],
        strict=True,
    )
    # openpyxl would silently return no sheets for Strict OOXML: the reference engine
    # must fall back to calamine instead of reporting an empty workbook
    wb = both_engines(path)
    assert wb.sheets[0].rows == [["ahoj", 42]]
    assert wb.sheets[0].errors == {(1, 0): "#N/A"}


def test_ods_values_errors_and_libreoffice_booleans(tmp_path: Path) -> None:
    rows = (
        "<table:table-row>"
        '<table:table-cell office:value-type="float" office:value="5"><text:p>5</text:p></table:table-cell>'
        '<table:table-cell office:value-type="date" office:date-value="2024-01-15"><text:p>15.1.</text:p>'
        "</table:table-cell>"
        '<table:table-cell office:value-type="date" office:date-value="2024-01-15T13:45:00"><text:p>x</text:p>'
        "</table:table-cell>"
        '<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" '
        'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
        '<table:table-cell table:formula="of:=TRUE()" office:value-type="float" office:value="1">'
        "<text:p>TRUE</text:p></table:table-cell>"
        '<table:table-cell office:value-type="boolean" office:boolean-value="false"><text:p>FALSE</text:p>'
        "</table:table-cell>"
        '<table:table-cell office:value-type="time" office:time-value="PT36H00M00S"><text:p>36:00</text:p>'
        "</table:table-cell>"
        "</table:table-row>"
        '<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="9"/>'
        "</table:table-row>"
        '<table:table-row><table:table-cell table:number-columns-repeated="2"/>'
        '<table:table-cell office:value-type="string"><text:p>  x  </text:p></table:table-cell>'
        '<table:table-cell table:formula="oooc:=NA()" office:value-type="float" office:value="0">'
        "<text:p>#N/A</text:p></table:table-cell>"
        '<table:table-cell office:value-type="string"><text:p>#N/A</text:p></table:table-cell>'
        "</table:table-row>"
    )
    wb = read_workbook(write_ods(tmp_path / "lo.ods", {"List1": rows, "List2": ""}))
    assert wb.format == "ods"
    sheet = wb.sheets[0]
    assert sheet.rows == [
        [5, dt.date(2024, 1, 15), dt.datetime(2024, 1, 15, 13, 45), None, True, False, dt.timedelta(hours=36)],
        [],
        [],
        [],
        [None, None, "x", None, "#N/A"],  # typed text "#N/A" (no formula) is just text
    ]
    assert sheet.errors == {(0, 3): "#DIV/0!", (4, 3): "#N/A"}
    assert wb.sheets[1].rows == []
    # the openpyxl engine cannot read ods: it falls back to calamine
    assert read_workbook(tmp_path / "lo.ods", engine="openpyxl") == wb


def test_ods_without_mimetype_is_still_recognised(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "x.ods", {"A": ""}, mimetype=False)
    assert sniff(path) == "ods"


# --------------------------------------------------------------------------------------
# corpus files (skipped without ../shared/corpus)
# --------------------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize(
    "rel, code",
    [
        ("qax-os+excelize/test/encryptAES.xlsx", "file-encrypted"),
        ("PHPOffice+PhpSpreadsheet/tests/data/Reader/XLS/pwtest.xls", "file-encrypted"),
        ("dimastbk+python-calamine/tests/data/password.ods", "file-encrypted"),
        ("PHPOffice+PhpSpreadsheet/tests/data/Reader/XLS/oleloop.xls", "file-corrupt"),
        ("_derived_broken/truncated_50pct.xlsx", "file-corrupt"),
        ("_derived_broken/html_table_as.xls", "file-not-spreadsheet"),
        ("tafia+calamine/tests/issue_594_dos.ods", "file-unsafe"),
    ],
)
def test_corpus_refusals(rel: str, code: str) -> None:
    path = CORPUS / rel
    if not path.is_file():
        pytest.skip(f"{rel} not in this corpus snapshot")
    with pytest.raises(ReadError) as err:
        read_safely(path, limits=ReadLimits(timeout_s=20))
    assert err.value.code == code


@needs_corpus
@pytest.mark.parametrize(
    "rel, cells",
    [
        # stale <dimension>: openpyxl read_only without reset_dimensions reads 1 and 4 cells
        ("theorchard+openpyxl/openpyxl/reader/tests/data/bug304.xlsx", 385),
        ("PHPOffice+PhpSpreadsheet/tests/data/Reader/XLSX/issue2109b.xlsx", 74),
        # Strict OOXML: openpyxl alone returns no sheets at all
        ("roo-rb+roo/test/files/strict.xlsx", 2),
        ("PHPOffice+PhpSpreadsheet/tests/data/Reader/XLSX/namespacepurl.xlsx", 1368),
    ],
)
def test_corpus_files_read_in_full_by_both_engines(rel: str, cells: int) -> None:
    path = CORPUS / rel
    if not path.is_file():
        pytest.skip(f"{rel} not in this corpus snapshot")
    wb = both_engines(path)
    assert sum(v is not None for s in wb.sheets for row in s.rows for v in row) == cells


def _calamine_only(path: str) -> int:
    """Parse with python-calamine directly, bypassing our sniffing (which already
    refuses oleloop.xls): proves the sandbox contains the parser itself."""
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_path(path)
    return sum(len(wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names)


@needs_corpus
def test_sandbox_contains_calamine_on_a_sector_loop() -> None:
    path = CORPUS / "PHPOffice+PhpSpreadsheet/tests/data/Reader/XLS/oleloop.xls"
    if not path.is_file():
        pytest.skip("oleloop.xls not in this corpus snapshot")
    started = time.monotonic()
    [(_, outcome)] = list(map_safely(_calamine_only, [str(path)], limits=ReadLimits(timeout_s=5, memory_mb=512)))
    assert isinstance(outcome, ReadError) and outcome.code in ("file-memory", "file-timeout")
    assert time.monotonic() - started < 30


# --------------------------------------------------------------------------------------
# sandbox
# --------------------------------------------------------------------------------------


def _work(item: str) -> Any:
    """A stand-in for "read + validate one file" with misbehaviours on request."""
    kind, _, arg = item.partition(":")
    if kind == "sleep":
        time.sleep(float(arg))
        return item
    if kind == "pid":
        return os.getpid()
    if kind == "hang":
        time.sleep(3600)
    if kind == "alloc":
        return len(bytearray(int(arg) * 1024 * 1024))
    if kind == "raise":
        raise KeyError(arg)
    if kind == "readerror":
        raise ReadError("file-corrupt", arg, "expected-text")
    if kind == "killed":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "exit":
        os._exit(3)
    if kind == "unpicklable":
        return lambda: None
    if kind == "leak":  # keeps N MB alive in the worker (fragmentation left by a big file)
        _LEAKED.append(bytearray(int(arg) * 1024 * 1024))
        return os.getpid()
    return item


_LEAKED: list[bytearray] = []


def _alive(pid: int) -> bool:
    """True when ``pid`` is a live process (not a zombie, not gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_map_safely_keeps_input_order_and_reports_progress() -> None:
    items = [f"sleep:{0.05 * ((i * 7) % 5)}" for i in range(16)]
    seen: list[tuple[int, int]] = []
    out = list(map_safely(_work, items, workers=3, progress=lambda d, t: seen.append((d, t))))
    assert [p for p, _ in out] == items
    assert [r for _, r in out] == items
    assert seen[-1] == (16, 16) and [d for d, _ in seen] == list(range(1, 17))


def test_map_safely_reuses_workers_and_leaves_no_processes() -> None:
    out = list(map_safely(_work, ["pid"] * 30, workers=2))
    pids = {r for _, r in out}
    assert 1 <= len(pids) <= 2  # long-lived workers, not a process per file
    assert os.getpid() not in pids
    assert not any(_alive(pid) for pid in pids)
    assert mp.active_children() == []


def test_timeout_kills_and_replaces_the_worker() -> None:
    limits = ReadLimits(timeout_s=1.0)
    started = time.monotonic()
    out = list(map_safely(_work, ["a", "hang", "b", "c", "hang", "d"], workers=2, limits=limits))
    assert time.monotonic() - started < 10
    assert [r for _, r in out if not isinstance(r, ReadError)] == list("abcd")
    assert [(r.code, r.expected) for _, r in out if isinstance(r, ReadError)] == [("file-timeout", "1")] * 2


def test_the_file_waiting_behind_a_killed_one_is_not_lost() -> None:
    # one worker: "a" waits in the pipe while "hang" runs; the kill must not take it along
    limits = ReadLimits(timeout_s=1.0)
    out = dict(map_safely(_work, ["hang", "a", "killed", "b", "exit", "c"], workers=1, limits=limits))
    assert out["hang"].code == "file-timeout" and out["killed"].code == "file-memory"
    assert out["exit"].code == "file-corrupt"
    assert (out["a"], out["b"], out["c"]) == ("a", "b", "c")
    assert mp.active_children() == []


def test_workers_are_renewed_after_max_tasks(monkeypatch) -> None:
    from xlkpss.read import sandbox

    monkeypatch.setattr(sandbox, "MAX_TASKS_PER_WORKER", 3)
    out = list(map_safely(_work, ["pid"] * 12, workers=1))
    pids = [r for _, r in out]
    assert len(pids) == 12 and len(set(pids)) == 4  # three files each, the next one never sent early
    assert mp.active_children() == []


def test_a_worker_whose_memory_grew_is_renewed(monkeypatch) -> None:
    """Ordinary files keep one worker (its caches stay warm); a worker whose resident
    memory has grown past MAX_GROWTH_MB gets no more files and is replaced."""
    from xlkpss.read import sandbox

    monkeypatch.setattr(sandbox, "_GROWTH_CHECK_EVERY", 1)
    monkeypatch.setattr(sandbox, "MAX_GROWTH_MB", 40)
    steady = [r for _, r in map_safely(_work, ["pid"] * 30, workers=1)]
    assert len(set(steady)) == 1
    leaking = [r for _, r in map_safely(_work, ["leak:25"] * 8, workers=1)]
    # baseline after the first file; the third file's worker has grown by 50 MB > 40 MB
    assert 2 <= len(set(leaking)) <= 4, leaking
    assert mp.active_children() == []


def test_memory_limit_gives_file_memory_and_the_pool_goes_on() -> None:
    limits = ReadLimits(memory_mb=200)
    out = dict(map_safely(_work, ["alloc:20", "alloc:2000", "alloc:30", "x"], workers=1, limits=limits))
    assert out["alloc:20"] == 20 * 1024 * 1024
    assert isinstance(out["alloc:2000"], ReadError) and out["alloc:2000"].code == "file-memory"
    assert out["alloc:30"] == 30 * 1024 * 1024 and out["x"] == "x"


def test_crashes_and_exceptions_become_read_errors() -> None:
    items = ["ok1", "raise:boom", "readerror:bad", "killed", "exit", "unpicklable", "ok2"]
    out = dict(map_safely(_work, items, workers=2))
    assert out["ok1"] == "ok1" and out["ok2"] == "ok2"
    assert (out["raise:boom"].code, out["raise:boom"].value) == ("file-corrupt", "'boom'")
    bad = out["readerror:bad"]
    assert (bad.code, bad.value, bad.expected) == ("file-corrupt", "bad", "expected-text")
    assert out["killed"].code == "file-memory"  # death by a signal
    assert out["exit"].code == "file-corrupt"
    assert out["unpicklable"].code == "file-corrupt"
    assert mp.active_children() == []


def test_early_close_and_ctrl_c_kill_the_workers() -> None:
    it = map_safely(_work, ["pid", "hang", "hang", "hang"], workers=3)
    _path, pid = next(it)
    it.close()
    assert mp.active_children() == [] and not _alive(pid)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(map_safely(_work, ["a", "hang", "hang"], workers=3, progress=interrupt))
    assert mp.active_children() == []


def test_map_safely_with_no_paths() -> None:
    assert list(map_safely(_work, [])) == []


def test_read_safely_matches_in_process_reading(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "t.xlsx", _typed_values)
    assert read_safely(path) == read_workbook(path)
    assert read_safely(path, engine="openpyxl") == read_workbook(path)
    with pytest.raises(ReadError) as err:
        read_safely(tmp_path / "missing.xlsx")
    assert err.value.code == "file-not-found"


def test_read_error_survives_the_process_boundary(tmp_path: Path) -> None:
    big = make_xlsx(tmp_path / "b.xlsx", lambda wb: wb.add_worksheet().write("A1", "x"))
    with pytest.raises(ReadError) as err:
        read_safely(big, limits=ReadLimits(max_bytes=100))
    assert (err.value.code, err.value.expected) == ("file-too-large", "100 B")
