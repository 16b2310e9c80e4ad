"""What a file is, from its bytes and never its extension: zip (xlsx / xlsm / ods, or a
Word, Numbers, xlsb … file refused with a Czech description), OLE2 (xls, encrypted, Word
97) or anything else.  :func:`probe_file` also runs the zip safety checks and notes what
the engines need (sheet parts, Strict OOXML, the application that saved it)."""

from __future__ import annotations

import io
import mmap
import posixpath
import re
import stat
import struct
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from xlkpss.read.archives import is_workbook_member
from xlkpss.read.failures import short_error
from xlkpss.read.model import ReadError
from xlkpss.read.safety import (
    DEFAULT_LIMITS,
    ReadLimits,
    check_xml_bytes,
    check_xml_safety,
    check_zip_safety,
    human_size,
    local_name,
)
from xlkpss.read.zipparts import WHOLE_LIMIT, Members

__all__ = ["FORMATS", "Probe", "probe_file", "sniff"]

#: What :func:`sniff` can return; everything else is a :class:`ReadError`.
FORMATS = ("xlsx", "xlsm", "xls", "ods")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAXREGSECT = 0xFFFFFFFA


class _CfbError(Exception):
    pass


class _Cfb:
    """A minimal, bounded reader of the CFB container ([MS-CFB]).

    Only what sniffing needs: the names of the root storage's children and the first
    bytes of one stream.  Every chain walk is bounded and loop-checked, because crafted
    containers (corpus: ``oleloop.xls``) contain sector cycles that make other readers
    spin forever.
    """

    def __init__(self, buf: bytes | mmap.mmap):
        self.buf = buf
        if len(buf) < 512 or buf[:8] != _OLE_MAGIC:
            raise _CfbError("neplatná hlavička OLE")
        shift, mini_shift = struct.unpack_from("<HH", buf, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise _CfbError("neplatná velikost sektoru OLE")
        self.ssz = 1 << shift
        # the mini-FAT and DIFAT counts are not needed: chains end at ENDOFCHAIN and
        # every walk is loop-checked
        n_fat, self.dir_start, _, self.mini_cutoff, self.minifat_start, _, difat_start, _ = struct.unpack_from(
            "<IIIIIIII", buf, 0x2C
        )
        self.n_sectors = (len(buf) - 1) // self.ssz  # sectors after the header, the last one may be partial
        fat_sectors = [s for s in struct.unpack_from("<109I", buf, 0x4C) if s <= _MAXREGSECT]
        seen: set[int] = set()
        sect = difat_start
        per = self.ssz // 4 - 1
        while sect <= _MAXREGSECT:
            if sect in seen or sect >= self.n_sectors:
                raise _CfbError("poškozená tabulka DIFAT")
            seen.add(sect)
            entries = struct.unpack_from(f"<{per + 1}I", buf, self._off(sect))
            fat_sectors.extend(s for s in entries[:per] if s <= _MAXREGSECT)
            sect = entries[per]
        if n_fat:
            fat_sectors = fat_sectors[:n_fat]
        fat: list[int] = []
        for s in fat_sectors:
            if s >= self.n_sectors:
                raise _CfbError("tabulka FAT ukazuje mimo soubor")
            fat.extend(struct.unpack_from(f"<{self.ssz // 4}I", buf, self._off(s)))
        self.fat = fat
        self.ents = self.entries()

    def _off(self, sect: int) -> int:
        return (sect + 1) * self.ssz

    def chain(self, start: int, limit: int | None = None) -> Iterator[int]:
        """Sector numbers of a chain; raises on loops and out-of-range sectors."""
        seen: set[int] = set()
        sect = start
        while sect <= _MAXREGSECT:
            if sect in seen or sect >= len(self.fat) or sect >= self.n_sectors:
                raise _CfbError("cyklus nebo chyba v řetězu sektorů OLE")
            seen.add(sect)
            yield sect
            if limit is not None and len(seen) >= limit:
                return
            sect = self.fat[sect]

    def entries(self) -> list[tuple[str, int, int, int, int, int, int]]:
        """Directory entries: (name, type, left, right, child, start, size)."""
        out = []
        for sect in self.chain(self.dir_start):
            base = self._off(sect)
            for k in range(self.ssz // 128):
                e = base + k * 128
                raw_name = bytes(self.buf[e : e + 64])
                name_len, typ = struct.unpack_from("<HB", self.buf, e + 64)
                left, right, child = struct.unpack_from("<III", self.buf, e + 68)
                start, size = struct.unpack_from("<IQ", self.buf, e + 116)
                if self.ssz == 512:
                    size &= 0xFFFFFFFF  # version 3 files may leave garbage in the high half
                name = raw_name[: max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
                out.append((name, typ, left, right, child, start, size))
        if not out or out[0][1] != 5:
            raise _CfbError("chybí kořenový adresář OLE")
        return out

    def root_children(self) -> dict[str, int]:
        """Case-folded name -> entry index of the root storage's direct children."""
        ents = self.ents
        found: dict[str, int] = {}
        stack = [ents[0][4]]
        seen: set[int] = set()
        while stack:
            i = stack.pop()
            if i > 0xFFFFFFF9 or i in seen or i >= len(ents):
                continue
            seen.add(i)
            name, typ, left, right, _child, _s, _z = ents[i]
            if typ in (1, 2):
                found[name.casefold()] = i
            stack.extend((left, right))
        return found

    def stream_head(self, index: int, n: int) -> bytes:
        """The first ``n`` bytes (at most one sector) of a stream."""
        ents = self.ents
        _name, _typ, _l, _r, _c, start, size = ents[index]
        n = min(n, size)
        if size >= self.mini_cutoff:
            for sect in self.chain(start, limit=1):
                return bytes(self.buf[self._off(sect) : self._off(sect) + min(n, self.ssz)])
            return b""
        # small streams live in the mini stream (inside the root entry's chain)
        offset = start * 64
        k = offset // self.ssz
        for i, sect in enumerate(self.chain(ents[0][5], limit=k + 1)):
            if i == k:
                pos = self._off(sect) + offset % self.ssz
                return bytes(self.buf[pos : pos + min(n, 64)])
        return b""


def _biff_has_filepass(head: bytes) -> bool:
    """True when a FILEPASS record (0x002F) follows the workbook's BOF.

    [MS-XLS] puts FILEPASS right after BOF (optionally after WRITEPROTECT); record
    headers stay in clear text in encrypted files, so walking the first records is
    enough.
    """
    pos = 0
    for _ in range(4):
        if pos + 4 > len(head):
            return False
        rtype, rlen = struct.unpack_from("<HH", head, pos)
        if rtype == 0x002F:
            return True
        pos += 4 + rlen
    return False


@dataclass
class Probe:
    """What sniffing learned about a file (internal; :func:`sniff` returns ``format``)."""

    format: str
    #: Strict OOXML (ISO 29500 namespaces) — openpyxl silently reads 0 sheets from it
    strict: bool = False
    application: str | None = None
    #: xlsx: sheet name -> zip member of its XML; ods: the content.xml member
    sheet_parts: dict[str, str] = field(default_factory=dict)
    content_part: str | None = None
    #: xlsx: where the sheet parts lie in the file (read without reopening the zip)
    part_spans: dict[str, Any] = field(default_factory=dict)
    #: the file's bytes, read once by the probe (None for large files): the formula-error
    #: scan reads the sheet parts from them
    data: bytes | None = field(default=None, repr=False, compare=False)


def sniff(path: str | Path, limits: ReadLimits | None = None) -> str:
    """Decide the format of ``path`` from its content: "xlsx", "xlsm", "xls" or "ods".

    Raises :class:`ReadError` (file-not-found, file-empty, file-too-large,
    file-not-spreadsheet, file-encrypted, file-corrupt, file-unsafe) for anything else,
    after the zip safety checks of :class:`ReadLimits`.
    """
    return probe_file(Path(path), limits or DEFAULT_LIMITS).format


def probe_file(path: Path, limits: ReadLimits, data: bytes | None = None) -> Probe:
    """``data``: the file's bytes when the caller has read them already (to hash them)."""
    try:
        st = path.stat()
        size = st.st_size
        if not stat.S_ISREG(st.st_mode):
            raise ReadError("file-not-found", str(path))
        if data is None or len(data) != size or size > WHOLE_LIMIT:
            with path.open("rb") as fh:
                # small files (all real submissions) are read whole, once: the zip checks,
                # the probe and the formula-error scan then read their members from memory
                data = fh.read() if size <= WHOLE_LIMIT else None
                head = data[:4096] if data is not None else fh.read(4096)
        else:
            head = data[:4096]
    except OSError as exc:
        raise ReadError("file-not-found", short_error(exc)) from None
    if size == 0:
        raise ReadError("file-empty")
    if size > limits.max_bytes:
        raise ReadError("file-too-large", human_size(size), human_size(limits.max_bytes))
    if head.startswith(b"PK"):
        return _probe_zip(path, limits, data if data is not None and len(data) == size else None)
    if head.startswith(_OLE_MAGIC):
        return _probe_ole(path)
    raise ReadError("file-not-spreadsheet", _describe_other(head))


def _describe_other(head: bytes) -> str:
    """A short Czech description of a file that is neither zip nor OLE2."""
    # BIFF2-4 workbooks are bare record streams starting with a BOF record (0x0009,
    # 0x0209, 0x0409) of 4-16 bytes; calamine reads only BIFF5+ inside OLE2
    if len(head) >= 4 and head[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04") and 4 <= head[2] <= 16 and head[3] == 0:
        return "starý sešit Excel 2.0–4.0; uložte jej v novějším formátu"
    if head.startswith(b"\x00\x05\x16\x07"):  # AppleDouble (validate.engine.APPLE_DOUBLE_MAGIC)
        return "metadata macOS ke stejnojmennému souboru bez „._“"
    if head.startswith(b"%PDF"):
        return "PDF"
    if head.startswith(b"{\\rtf"):
        return "dokument RTF"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return "obrázek"
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return "komprimovaný archiv"
    text = _decode_head(head)
    if text is None:
        return "neznámý binární formát"
    low = text.lstrip().lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in low:
        return "sešit Excel 2003 XML"
    if "office:document" in low and "opendocument.spreadsheet" in low:
        return "plochý sešit OpenDocument .fods; uložte jej jako .ods nebo .xlsx"
    if low.startswith(("<!doctype html", "<html", "<table", "<head", "<meta")) or "<html" in low[:1024]:
        return "HTML stránka"
    if low.startswith("mime-version:"):
        return "webový archiv MHT"
    if low.startswith("<"):
        return "soubor XML"
    first_lines = text.splitlines()[:5]
    if first_lines and all(any(sep in line for sep in ";,\t") for line in first_lines if line.strip()):
        return "CSV text"
    return "text"


def _decode_head(head: bytes) -> str | None:
    """Text of the first bytes when they look like text, else None."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(enc, "ignore")
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a multi-byte character cut by the 4 KB window
            return head[: exc.start].decode("utf-8")
    text = head.decode("cp1250", "replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return None if controls > len(text) // 100 else text


def _probe_ole(path: Path) -> Probe:
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            cfb = _Cfb(buf)
            children = cfb.root_children()
            if "encryptioninfo" in children or "encryptedpackage" in children:
                raise ReadError("file-encrypted", "šifrovaný sešit (heslo)")
            book = children.get("workbook", children.get("book"))
            if book is not None:
                if _biff_has_filepass(cfb.stream_head(book, 64)):
                    raise ReadError("file-encrypted", "sešit .xls s heslem")
                return Probe("xls")
    except (_CfbError, struct.error, ValueError, OSError) as exc:
        raise ReadError("file-corrupt", f"poškozený kontejner OLE: {exc}"[:160]) from None
    if "worddocument" in children:
        raise ReadError("file-not-spreadsheet", "dokument Word 97–2003 (.doc)")
    if "powerpoint document" in children:
        raise ReadError("file-not-spreadsheet", "prezentace PowerPoint 97–2003 (.ppt)")
    raise ReadError("file-not-spreadsheet", "soubor OLE, který není sešitem Excelu")


_ODS_MIME = (
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet-template",
)
_ODF_KINDS = {
    "text": "dokument OpenDocument Text (.odt)",
    "presentation": "prezentace OpenDocument (.odp)",
    "graphics": "kresba OpenDocument (.odg)",
}
_MACRO_CT = "macroEnabled.main+xml"
#: how much of a part is read to look for a marker (as the safety scan's window)
_WINDOW = 64 * 1024
_ODS_PARSED_PARTS = ("content.xml", "styles.xml", "meta.xml", "settings.xml", "META-INF/manifest.xml")


class _Names:
    """Zip member lookup that tolerates the case and backslash quirks of real generators
    (corpus: ``Zip-Windows-Directory-Separator.xlsx``, upper-case part names)."""

    def __init__(self, zf: zipfile.ZipFile, members: Members):
        self.by_key: dict[str, str] = {}
        self.package_rels: dict[str, tuple[str, str]] | None = None
        self.members = members
        #: parts whose DTD check is done (read whole and checked before parsing)
        self.checked: set[str] = set()
        for name in zf.namelist():
            self.by_key.setdefault(self.key(name), name)

    @staticmethod
    @lru_cache(maxsize=4096)  # the same part names in every file of a template
    def key(name: str) -> str:
        return name.replace("\\", "/").lstrip("/").casefold()

    def get(self, name: str) -> str | None:
        return self.by_key.get(self.key(name))

    def any_under(self, prefix: str) -> bool:
        p = prefix.casefold()
        return any(k.startswith(p) for k in self.by_key)


def _probe_zip(path: Path, limits: ReadLimits, data: bytes | None = None) -> Probe:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except zipfile.BadZipFile as exc:
        raise ReadError("file-corrupt", f"neúplný nebo poškozený ZIP ({exc})"[:160]) from None
    except (OSError, ValueError, EOFError) as exc:
        raise ReadError("file-corrupt", f"poškozený ZIP: {short_error(exc)}"[:160]) from None
    try:
        with zf:
            return _probe_open_zip(zf, limits, Members(zf, data))
    except ReadError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        KeyError,
        NotImplementedError,
        RuntimeError,
        ET.ParseError,
        UnicodeDecodeError,
    ) as exc:
        # NotImplementedError: unsupported compression; RuntimeError: encrypted members
        raise ReadError("file-corrupt", f"poškozený ZIP: {short_error(exc)}"[:160]) from None


def _probe_open_zip(zf: zipfile.ZipFile, limits: ReadLimits, members: Members) -> Probe:
    check_zip_safety(zf, limits)
    names = _Names(zf, members)
    mimetype = names.get("mimetype")
    if mimetype is not None:
        mime = members.read(mimetype, 200).decode("ascii", "ignore").strip()
        if mime in _ODS_MIME:
            return _probe_ods(zf, names)
        if mime.startswith("application/vnd.oasis.opendocument."):
            kind = mime.rsplit(".", 1)[-1]
            raise ReadError("file-not-spreadsheet", _ODF_KINDS.get(kind, f"dokument OpenDocument ({kind})"))
    if names.get("content.xml") and names.get("META-INF/manifest.xml"):
        manifest = members.read(names.get("META-INF/manifest.xml") or "", _WINDOW)
        if b"opendocument.spreadsheet" in manifest:
            return _probe_ods(zf, names)
    if names.get("word/document.xml"):
        raise ReadError("file-not-spreadsheet", "dokument Word")
    if names.get("ppt/presentation.xml"):
        raise ReadError("file-not-spreadsheet", "prezentace PowerPoint")
    if names.get("Index/Document.iwa") or names.get("Index.zip") or names.any_under("index/"):
        raise ReadError("file-not-spreadsheet", "sešit Apple Numbers; exportujte jej do .xlsx")
    if names.get("xl/workbook.bin"):
        raise ReadError("file-not-spreadsheet", "binární sešit Excel .xlsb; uložte jej jako .xlsx")
    workbook = _ooxml_main_part(zf, names)
    if workbook is None:
        if names.any_under("xl/") or names.get("[Content_Types].xml"):
            raise ReadError("file-corrupt", "chybí část xl/workbook.xml")
        books = sorted(n.replace("\\", "/").rsplit("/", 1)[-1] for n in zf.namelist() if is_workbook_member(n))
        if books:  # an e-mailed ZIP of submissions: they are to be unpacked, not lost
            shown = ", ".join(books[:3]) + (f" a {len(books) - 3} další" if len(books) > 3 else "")
            raise ReadError("file-archive", f"{len(books)} {_books_word(len(books))}: {shown}")
        raise ReadError("file-not-spreadsheet", "archiv ZIP")
    return _probe_ooxml(zf, names, workbook)


def _books_word(n: int) -> str:
    return "sešit" if n == 1 else "sešity" if 2 <= n <= 4 else "sešitů"


def _rels_targets(zf: zipfile.ZipFile, names: _Names, rels_name: str, base_dir: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, resolved part name) from one .rels part."""
    actual = names.get(rels_name)
    if actual is None:
        return {}
    data = names.members.read(actual)
    check_xml_bytes(actual, data)  # before ElementTree parses it
    names.checked.add(actual)
    return dict((_parse_rels if len(data) <= _CACHED_PART else _parse_rels.__wrapped__)(data, base_dir))


#: parts up to this size are parsed once per process and content (see :func:`_parse_rels`)
_CACHED_PART = 64 * 1024


@lru_cache(maxsize=64)
def _parse_rels(data: bytes, base_dir: str) -> tuple[tuple[str, tuple[str, str]], ...]:
    """(Id, (type suffix, resolved target)) of the internal relationships of one .rels part.

    Keyed by the part's exact bytes: the files of one template repeat them, so each
    distinct part is parsed once per process — the same parser, the same answer (a
    part that does not parse raises every time: exceptions are not cached).
    """
    out = []
    for rel in ET.fromstring(data):
        if local_name(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = (rel.get("Target") or "").replace("\\", "/")
        resolved = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base_dir, target))
        )
        out.append((rel.get("Id") or "", ((rel.get("Type") or "").rsplit("/", 1)[-1], resolved)))
    return tuple(out)


@lru_cache(maxsize=64)
def _workbook_sheets(data: bytes) -> tuple[tuple[str, str | None], ...]:
    """(name, relationship id) of every ``sheet`` element of a workbook part (cached
    like :func:`_parse_rels`)."""
    out = []
    for el in ET.fromstring(data).iter():
        if local_name(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
        name = el.get("name")
        if name is not None:
            out.append((name, rid))
    return tuple(out)


def _package_rels(zf: zipfile.ZipFile, names: _Names) -> dict[str, tuple[str, str]]:
    """``_rels/.rels`` of the package, parsed once per probe (kept on ``names``)."""
    if names.package_rels is None:
        names.package_rels = _rels_targets(zf, names, "_rels/.rels", "")
    return names.package_rels


def _ooxml_main_part(zf: zipfile.ZipFile, names: _Names) -> str | None:
    for rtype, target in _package_rels(zf, names).values():
        if rtype == "officeDocument" and names.get(target):
            return names.get(target)
    return names.get("xl/workbook.xml")


def _probe_ooxml(zf: zipfile.ZipFile, names: _Names, workbook: str) -> Probe:
    members = names.members
    wb_data = members.read(workbook)
    check_xml_bytes(workbook, wb_data)  # before ElementTree parses it below
    names.checked.add(workbook)
    wb_head = wb_data[:_WINDOW]
    ctypes = names.get("[Content_Types].xml")
    ct_data = members.read(ctypes) if ctypes else b""
    ct = ct_data.decode("utf-8", "ignore")
    # xlsm = a VBA project or a macro-enabled main part (Excel's own definition); the
    # macros are never run, only the cell values are read
    macro = any(k.endswith("vbaproject.bin") for k in names.by_key) or _MACRO_CT in ct
    probe = Probe("xlsm" if macro else "xlsx", strict=b"purl.oclc.org/ooxml" in wb_head, data=members.data)
    # sheet name -> part, needed to read formula errors that calamine cannot report
    base = posixpath.dirname(workbook)
    rels = _rels_targets(zf, names, posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels"), base)
    for sheet_name, rid in (_workbook_sheets if len(wb_data) <= _CACHED_PART else _workbook_sheets.__wrapped__)(wb_data):
        rtype, target = rels.get(rid or "", ("", ""))
        part = names.get(target) if target else None
        if part and rtype == "worksheet":
            probe.sheet_parts[sheet_name] = part
    from xlkpss.read.zipparts import locate

    probe.part_spans = locate(zf, probe.sheet_parts.values())
    # The DTD check (xlkpss.read.safety) of every other part a parser reads.  Worksheet
    # parts are checked by the engine when it reads them (the lazy reader only the sheets
    # it loads, from the bytes its formula-error scan inflates anyway); parts neither
    # python-calamine nor this package parses (document properties, theme, comments,
    # drawings …) are not; the openpyxl engine, which parses more, checks every part.
    if ctypes:
        check_xml_bytes(ctypes, ct_data)
    done = set(probe.sheet_parts.values()) | names.checked
    check_xml_safety(zf, [n for n in zf.namelist() if n not in done and not _unparsed_ooxml(n)], members)
    for rtype, target in _package_rels(zf, names).values():
        if rtype in ("extended-properties", "extendedProperties") and names.get(target):  # transitional, strict
            m = re.search(rb"<(?:\w+:)?Application>([^<]*)<", members.read(names.get(target) or "", 8192))
            if m:
                probe.application = m.group(1).decode("utf-8", "replace").strip()[:120] or None
    return probe


#: OOXML parts that neither python-calamine (it opens the package and workbook
#: relationships, the workbook, shared strings and styles, and a worksheet when it is
#: read) nor this package's own code parses: a DTD in them reaches no parser
@lru_cache(maxsize=4096)
def _unparsed_ooxml(name: str) -> bool:
    return _UNPARSED_OOXML.match(name) is not None


_UNPARSED_OOXML = re.compile(
    r"(?:docProps/|customXml/|xl/(?:theme|drawings|charts|media|printerSettings|comments|threadedComments|persons|"
    r"tables|worksheets/_rels)/|xl/comments\d*\.xml$|.*\.vml$)",
    re.IGNORECASE,
)


def _probe_ods(zf: zipfile.ZipFile, names: _Names) -> Probe:
    # Only the parts a reader parses: LibreOffice Basic modules (Basic/*.xml) carry a
    # harmless DOCTYPE that nothing here reads.
    check_xml_safety(zf, [n for n in map(names.get, _ODS_PARSED_PARTS) if n], names.members)
    probe = Probe("ods", content_part=names.get("content.xml"))
    meta = names.get("meta.xml")
    if meta:
        m = re.search(rb"<meta:generator>([^<]*)<", names.members.read(meta, 16384))
        if m:
            probe.application = m.group(1).decode("utf-8", "replace").strip()[:120] or None
    return probe
