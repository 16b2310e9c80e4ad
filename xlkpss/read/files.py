"""Untrusted spreadsheet intake: decide what a file is, refuse what is unsafe, read it.

Every submission arrives from outside (e-mail attachments, uploads), so nothing about a
file is trusted: not its extension, not the sizes its zip directory declares, not its
XML.  The order of work is

1. :func:`sniff` — look at the bytes (zip / OLE2 / text), never at the extension, and
   turn everything that is not a workbook we read into a :class:`ReadError` with an
   issue code a person understands (``file-not-spreadsheet`` "dokument Word", …);
2. safety checks before any parser sees a zip: file size, declared uncompressed size,
   compression ratio (decompression bombs) and a DTD in any XML part (XXE, "billion
   laughs") — see :class:`ReadLimits`;
3. parse with python-calamine (fast default) or openpyxl (reference, xlsx/xlsm only),
   then normalise every value to the contract in :mod:`xlkpss.read.model`, so that both
   engines return *identical* :class:`RawWorkbook` objects for the same xlsx file.

Calamine cannot see formula errors (it returns ``''`` for them), so for xlsx/xlsm the
error cells are read from the sheet XML, and for ods from ``content.xml``; for xls they
are not detected (the cell reads as blank).

This module parses in-process.  Crafted files can still make a parser hang or eat
gigabytes (python-calamine on a 1 KB ``.xls`` with a sector loop), so callers reading
uploads go through :mod:`xlkpss.read.sandbox`, which runs this code in child processes
with a time and memory limit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import mmap
import os
import posixpath
import re
import struct
import tempfile
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss.read.model import RawSheet, RawWorkbook, ReadError

__all__ = ["ENGINES", "FORMATS", "ReadLimits", "read_workbook", "sniff"]

#: What :func:`sniff` can return; everything else is a :class:`ReadError`.
FORMATS = ("xlsx", "xlsm", "xls", "ods")
ENGINES = ("calamine", "openpyxl")

_MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Limits for reading one untrusted file.

    The defaults are generous for real submissions (a filled template is ~50 KB; the
    largest legitimate file in the third-party corpus unpacks to 60 MB with a 213:1
    ratio on one part) and still stop decompression bombs (typically > 1000:1).
    """

    #: largest file accepted on disk
    max_bytes: int = 50 * _MB
    #: sum of the uncompressed sizes declared in a zip's directory
    max_uncompressed: int = 1024 * _MB
    #: uncompressed/compressed ratio of one zip member (checked for members > 1 MB only:
    #: tiny parts such as an empty sheet legitimately reach ratios of several hundred)
    max_ratio: float = 500.0
    #: rows kept per sheet; the rest is dropped and reported in RawWorkbook.truncated
    max_rows: int = 100_000
    #: wall time for one file (enforced by the sandbox)
    timeout_s: float = 30.0
    #: address space a sandbox worker may add on top of what it starts with
    memory_mb: int = 1024


DEFAULT_LIMITS = ReadLimits()

# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------


def _short(exc: BaseException, limit: int = 160) -> str:
    """A one-line description of a library exception for ReadError.value."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    name = type(exc).__name__
    if not text.startswith(name):
        text = f"{name}: {text}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _human_size(n: int) -> str:
    if n >= _MB:
        return f"{n / _MB:.1f} MB"
    return f"{n / 1024:.0f} kB" if n >= 1024 else f"{n} B"


def _col_index(ref: str) -> tuple[int, int] | None:
    """'AB12' -> (row0, col0); None when the reference is not of that shape."""
    col = 0
    i = 0
    n = len(ref)
    while i < n and "A" <= ref[i] <= "Z":
        col = col * 26 + ord(ref[i]) - 64
        i += 1
    if i == 0 or i == n or not ref[i:].isdigit():
        return None
    return int(ref[i:]) - 1, col - 1


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# Formula error texts written by Excel (#…) and LibreOffice (Err:5xx).
_ERROR_TEXT = re.compile(
    r"^(?:#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|"
    r"CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!)|Err:\d{3})$"
)
_ERROR_TEXT_BYTES = re.compile(
    rb">(?:#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|"
    rb"CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!)|Err:\d{3})<"
)

# --------------------------------------------------------------------------------------
# OLE2 / Compound File Binary: just enough to list root streams and peek into one
# --------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------
# sniffing
# --------------------------------------------------------------------------------------


@dataclass
class _Probe:
    """What sniffing learned about a file (internal; :func:`sniff` returns ``format``)."""

    format: str
    #: Strict OOXML (ISO 29500 namespaces) — openpyxl silently reads 0 sheets from it
    strict: bool = False
    application: str | None = None
    #: xlsx: sheet name -> zip member of its XML; ods: the content.xml member
    sheet_parts: dict[str, str] = field(default_factory=dict)
    content_part: str | None = None


def sniff(path: str | Path, limits: ReadLimits | None = None) -> str:
    """Decide the format of ``path`` from its content: "xlsx", "xlsm", "xls" or "ods".

    Raises :class:`ReadError` (file-not-found, file-empty, file-too-large,
    file-not-spreadsheet, file-encrypted, file-corrupt, file-unsafe) for anything else,
    after the zip safety checks of :class:`ReadLimits`.
    """
    return _probe(Path(path), limits or DEFAULT_LIMITS).format


def _probe(path: Path, limits: ReadLimits) -> _Probe:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ReadError("file-not-found", str(path))
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ReadError("file-not-found", _short(exc)) from None
    if size == 0:
        raise ReadError("file-empty")
    if size > limits.max_bytes:
        raise ReadError("file-too-large", _human_size(size), _human_size(limits.max_bytes))
    if head.startswith(b"PK"):
        return _probe_zip(path, limits)
    if head.startswith(_OLE_MAGIC):
        return _probe_ole(path)
    raise ReadError("file-not-spreadsheet", _describe_other(head))


def _describe_other(head: bytes) -> str:
    """A short Czech description of a file that is neither zip nor OLE2."""
    # BIFF2-4 workbooks are bare record streams starting with a BOF record (0x0009,
    # 0x0209, 0x0409) of 4-16 bytes; calamine reads only BIFF5+ inside OLE2
    if len(head) >= 4 and head[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04") and 4 <= head[2] <= 16 and head[3] == 0:
        return "starý sešit Excel 2.0–4.0; uložte jej v novějším formátu"
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


def _probe_ole(path: Path) -> _Probe:
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
                return _Probe("xls")
    except (_CfbError, struct.error, ValueError, OSError) as exc:
        raise ReadError("file-corrupt", f"poškozený kontejner OLE: {exc}"[:160]) from None
    if "worddocument" in children:
        raise ReadError("file-not-spreadsheet", "dokument Word 97–2003 (.doc)")
    if "powerpoint document" in children:
        raise ReadError("file-not-spreadsheet", "prezentace PowerPoint 97–2003 (.ppt)")
    raise ReadError("file-not-spreadsheet", "soubor OLE, který není sešitem Excelu")


# --- zip ------------------------------------------------------------------------------

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
_ODS_PARSED_PARTS = ("content.xml", "styles.xml", "meta.xml", "settings.xml", "META-INF/manifest.xml")
_XML_WINDOW = 64 * 1024
#: the first bytes of an XML part: enough for the usual prolog (``<?xml …?>``) and the
#: root element's start; a part whose root does not start in them gets the full window
_PROLOG_PEEK = 1024
_RATIO_FLOOR = _MB


class _Names:
    """Zip member lookup that tolerates the case and backslash quirks of real generators
    (corpus: ``Zip-Windows-Directory-Separator.xlsx``, upper-case part names)."""

    def __init__(self, zf: zipfile.ZipFile):
        self.by_key: dict[str, str] = {}
        for name in zf.namelist():
            self.by_key.setdefault(self.key(name), name)

    @staticmethod
    def key(name: str) -> str:
        return name.replace("\\", "/").lstrip("/").casefold()

    def get(self, name: str) -> str | None:
        return self.by_key.get(self.key(name))

    def any_under(self, prefix: str) -> bool:
        p = prefix.casefold()
        return any(k.startswith(p) for k in self.by_key)


def _check_zip_safety(zf: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse decompression bombs before any parser inflates a member.

    Declared sizes can lie, but both parsers stop at the declared size (Python's
    zipfile truncates, calamine's zip crate raises), so checking the directory is
    enough; the sandbox's memory limit is the second line of defence.
    """
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise ReadError("file-unsafe", f"zip bomb: {info.filename} {ratio:.0f}:1")
    if total > limits.max_uncompressed:
        raise ReadError("file-unsafe", f"zip bomb: rozbaleno {_human_size(total)}")


_PROLOG_TOKEN = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _read_head(zf: zipfile.ZipFile, name: str, n: int = _XML_WINDOW) -> bytes:
    with zf.open(name) as fh:
        return fh.read(n)


def _xml_text(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "ignore")
    if head[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without BOM
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", "ignore")
    return head.decode("utf-8", "ignore")


def _prolog_end(text: str) -> int:
    """Where the whitespace, processing instructions and comments at the start end."""
    pos = 0
    while True:
        m = _PROLOG_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return pos
        pos = m.end()


def _root_starts_early(head: bytes) -> bool:
    """True when the root element starts within ``head`` after a prolog of only
    whitespace, processing instructions and comments (the usual case: one ``<?xml …?>``)."""
    text = _xml_text(head).lstrip("\ufeff")
    if "<!ENTITY" in text or "<!DOCTYPE" in text or "<!doctype" in text:
        return False  # the full check decides (and refuses a DTD in the prolog)
    pos = _prolog_end(text)
    return text[pos : pos + 1] == "<" and text[pos + 1 : pos + 2] not in ("!", "?", "/", "")


def _check_xml_safety(zf: zipfile.ZipFile, names: Iterable[str]) -> None:
    """Refuse any XML part that declares a DTD.

    A DTD can only appear in the prolog, before the root element.  Office files never
    carry one, while a DTD is what XXE and entity-expansion ("billion laughs") attacks
    need, so a DOCTYPE anywhere in the prolog (or an ENTITY in the first window) is
    enough to refuse the file without trusting any parser's defences.
    """
    for name in names:
        low = name.casefold()
        if not (low.endswith((".xml", ".rels", ".vml")) or low == "mimetype"):
            continue
        with zf.open(name) as fh:
            head = fh.read(_PROLOG_PEEK)
            if _root_starts_early(head):
                continue  # the prolog ended without a DTD: nothing further can declare one
            head += fh.read(_XML_WINDOW - len(head))
        text = _xml_text(head).lstrip("\ufeff")
        if "<!ENTITY" in text:
            raise ReadError("file-unsafe", f"XML entita (XXE) v {name}")
        pos = _prolog_end(text)
        rest = text[pos : pos + 9]
        if rest.startswith(("<!DOCTYPE", "<!doctype")):
            raise ReadError("file-unsafe", f"XML DOCTYPE (XXE) v {name}")
        if pos >= len(text) and len(text) >= _XML_WINDOW // 4:
            # a prolog longer than the window: nothing legitimate writes that
            raise ReadError("file-unsafe", f"neobvyklý XML prolog v {name}")


def _probe_zip(path: Path, limits: ReadLimits) -> _Probe:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ReadError("file-corrupt", f"neúplný nebo poškozený ZIP ({exc})"[:160]) from None
    except (OSError, ValueError, EOFError) as exc:
        raise ReadError("file-corrupt", f"poškozený ZIP: {_short(exc)}"[:160]) from None
    try:
        with zf:
            return _probe_open_zip(zf, limits)
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
        raise ReadError("file-corrupt", f"poškozený ZIP: {_short(exc)}"[:160]) from None


def _probe_open_zip(zf: zipfile.ZipFile, limits: ReadLimits) -> _Probe:
    _check_zip_safety(zf, limits)
    names = _Names(zf)
    mimetype = names.get("mimetype")
    if mimetype is not None:
        mime = _read_head(zf, mimetype, 200).decode("ascii", "ignore").strip()
        if mime in _ODS_MIME:
            return _probe_ods(zf, names)
        if mime.startswith("application/vnd.oasis.opendocument."):
            kind = mime.rsplit(".", 1)[-1]
            raise ReadError("file-not-spreadsheet", _ODF_KINDS.get(kind, f"dokument OpenDocument ({kind})"))
    if names.get("content.xml") and names.get("META-INF/manifest.xml"):
        manifest = _read_head(zf, names.get("META-INF/manifest.xml") or "")
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
        raise ReadError("file-not-spreadsheet", "archiv ZIP")
    return _probe_ooxml(zf, names, workbook)


def _rels_targets(zf: zipfile.ZipFile, names: _Names, rels_name: str, base_dir: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, resolved part name) from one .rels part."""
    actual = names.get(rels_name)
    if actual is None:
        return {}
    root = ET.fromstring(zf.read(actual))
    out: dict[str, tuple[str, str]] = {}
    for rel in root:
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = (rel.get("Target") or "").replace("\\", "/")
        resolved = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base_dir, target))
        )
        out[rel.get("Id") or ""] = ((rel.get("Type") or "").rsplit("/", 1)[-1], resolved)
    return out


def _ooxml_main_part(zf: zipfile.ZipFile, names: _Names) -> str | None:
    for rtype, target in _rels_targets(zf, names, "_rels/.rels", "").values():
        if rtype == "officeDocument" and names.get(target):
            return names.get(target)
    return names.get("xl/workbook.xml")


def _probe_ooxml(zf: zipfile.ZipFile, names: _Names, workbook: str) -> _Probe:
    _check_xml_safety(zf, zf.namelist())
    wb_head = _read_head(zf, workbook)
    ctypes = names.get("[Content_Types].xml")
    ct = zf.read(ctypes).decode("utf-8", "ignore") if ctypes else ""
    # xlsm = a VBA project or a macro-enabled main part (Excel's own definition); the
    # macros are never run, only the cell values are read
    macro = any(k.endswith("vbaproject.bin") for k in names.by_key) or _MACRO_CT in ct
    probe = _Probe("xlsm" if macro else "xlsx", strict=b"purl.oclc.org/ooxml" in wb_head)
    # sheet name -> part, needed to read formula errors that calamine cannot report
    base = posixpath.dirname(workbook)
    rels = _rels_targets(zf, names, posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels"), base)
    root = ET.fromstring(zf.read(workbook))
    for el in root.iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
        rtype, target = rels.get(rid or "", ("", ""))
        part = names.get(target) if target else None
        if part and rtype == "worksheet" and el.get("name") is not None:
            probe.sheet_parts[el.get("name") or ""] = part
    for rtype, target in _rels_targets(zf, names, "_rels/.rels", "").values():
        if rtype in ("extended-properties", "extendedProperties") and names.get(target):  # transitional, strict
            m = re.search(rb"<(?:\w+:)?Application>([^<]*)<", _read_head(zf, names.get(target) or "", 8192))
            if m:
                probe.application = m.group(1).decode("utf-8", "replace").strip()[:120] or None
    return probe


def _probe_ods(zf: zipfile.ZipFile, names: _Names) -> _Probe:
    # Only the parts a reader parses: LibreOffice Basic modules (Basic/*.xml) carry a
    # harmless DOCTYPE that nothing here reads.
    _check_xml_safety(zf, [n for n in map(names.get, _ODS_PARSED_PARTS) if n])
    probe = _Probe("ods", content_part=names.get("content.xml"))
    meta = names.get("meta.xml")
    if meta:
        m = re.search(rb"<meta:generator>([^<]*)<", _read_head(zf, meta, 16384))
        if m:
            probe.application = m.group(1).decode("utf-8", "replace").strip()[:120] or None
    return probe


# --------------------------------------------------------------------------------------
# value normalisation (the contract of xlkpss.read.model)
# --------------------------------------------------------------------------------------

_MIDNIGHT = dt.time(0, 0)
_EXACT_INT = 2**53
_ODS_DURATION = re.compile(r"^-?PT(\d+)H(\d+)M(\d+(?:\.\d+)?)S$")


def _norm(v: Any) -> Any:
    """One cell value, normalised identically for every engine."""
    t = type(v)
    if t is str:
        s = v.strip()
        return s or None
    if t is float:
        if v.is_integer():
            return int(v)
        return v
    if v is None or t is bool:
        return v
    if t is int:
        # Excel stores doubles: an integer text beyond 2**53 means the nearest double
        return v if -_EXACT_INT <= v <= _EXACT_INT else int(float(v))
    if t is dt.datetime:
        if v.tzinfo is None and v.time() == _MIDNIGHT:
            return v.date()
        return v
    return v  # date, time, timedelta


def _norm_row(raw: list[Any]) -> list[Any]:
    """``_trim([_norm(v) for v in raw])``, without a call per cell (calamine pads rows
    with ``''``, the most common value by far)."""
    n = len(raw)
    while n and raw[n - 1] == "":
        n -= 1
    row = []
    append = row.append
    for i in range(n):
        v = raw[i]
        t = type(v)
        if t is str:
            append(v.strip() or None if v else None)
        elif t is float:
            append(int(v) if v.is_integer() else v)
        else:
            append(_norm(v))
    while row and row[-1] is None:
        row.pop()
    return row


def _trim(row: list[Any]) -> list[Any]:
    while row and row[-1] is None:
        row.pop()
    return row


@dataclass
class _SheetBuilder:
    """Collects normalised rows of one sheet: drops trailing empties, keeps max_rows."""

    max_rows: int
    rows: list[list[Any]] = field(default_factory=list)
    last_filled: int = -1
    seen: int = 0

    def add(self, row: list[Any]) -> None:
        i = self.seen
        self.seen += 1
        if row:
            self.last_filled = i
        if i < self.max_rows:
            self.rows.append(row)

    def finish(self) -> tuple[list[list[Any]], int | None]:
        total = self.last_filled + 1
        del self.rows[total:]
        return self.rows, (total if total > self.max_rows else None)


# --------------------------------------------------------------------------------------
# formula errors (and LibreOffice quirks) read straight from the XML
# --------------------------------------------------------------------------------------

_T_E = re.compile(rb"""\st\s*=\s*["']e["']""")


def _member_matches(zf: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes], chunk: int = _MB) -> bool:
    """Stream a member and report whether ``pattern`` occurs (short patterns only)."""
    tail = b""
    with zf.open(name) as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                return False
            if pattern.search(tail + block):
                return True
            tail = block[-64:]


def _xlsx_errors(zf: zipfile.ZipFile, part: str) -> dict[tuple[int, int], str]:
    """Cells with ``t="e"`` in a worksheet part: (row0, col0) -> error text.

    Most sheets have none, so a byte scan decides first; only sheets with error cells
    are parsed (iterparse, memory flat).  Positions follow the ``r`` attributes, or
    count on when a generator omits them, as Excel does.
    """
    if not _member_matches(zf, part, _T_E):
        return {}
    errors: dict[tuple[int, int], str] = {}
    row0, col0 = -1, -1
    parent: ET.Element | None = None
    with zf.open(part) as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    r = el.get("r")
                    row0 = int(r) - 1 if r and r.isdigit() else row0 + 1
                    col0 = -1
                elif tag == "sheetData":
                    parent = el
                continue
            if tag == "c":
                ref = _col_index(el.get("r") or "")
                if ref is not None:
                    row0, col0 = ref
                else:
                    col0 += 1
                if el.get("t") == "e":
                    v = next((ch for ch in el if _local(ch.tag) == "v"), None)
                    text = (v.text or "").strip() if v is not None else ""
                    if text:
                        errors[(row0, col0)] = text
            elif tag == "row" and parent is not None:
                parent.clear()  # processed rows are not needed: keep memory flat
    return errors


_ODS_NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_NS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_NS_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_A_FORMULA = f"{{{_ODS_NS_TABLE}}}formula"
_A_NAME = f"{{{_ODS_NS_TABLE}}}name"
_A_ROWS_REP = f"{{{_ODS_NS_TABLE}}}number-rows-repeated"
_A_COLS_REP = f"{{{_ODS_NS_TABLE}}}number-columns-repeated"
_A_VTYPE = f"{{{_ODS_NS_OFFICE}}}value-type"
_A_CALC_VTYPE = f"{{{_ODS_NS_CALCEXT}}}value-type"
_ODS_BOOL_FORMULA = re.compile(rb"""table:formula="of:=(?:TRUE|FALSE)\(\)\"""")
_MAX_REPEAT_MARKS = 1024  # a repeated error cell is marked at most this many times


@dataclass
class _OdsMarks:
    #: sheet -> (row0, col0) -> error text
    errors: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    #: sheet -> (row0, col0) -> bool, for ``=TRUE()``/``=FALSE()`` stored as numbers
    bools: dict[str, dict[tuple[int, int], bool]] = field(default_factory=dict)


def _ods_marks(zf: zipfile.ZipFile, part: str) -> _OdsMarks:
    """Formula error cells and LibreOffice's numeric ``=TRUE()`` cells in content.xml.

    LibreOffice stores errors of formulas as text ("#DIV/0!", "Err:502", with
    ``calcext:value-type="error"``) or, in old files, as the number 0 with the error as
    display text; calamine returns that text or 0.  A byte scan skips the parse for the
    usual file without errors.
    """
    marks = _OdsMarks()
    has_errors = _member_matches(zf, part, _ERROR_TEXT_BYTES)
    has_bools = _member_matches(zf, part, _ODS_BOOL_FORMULA)
    if not (has_errors or has_bools):
        return marks
    sheet = ""
    row0 = col0 = -1
    rows_rep = 1
    table: ET.Element | None = None
    with zf.open(part) as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "table" and el.tag.startswith("{" + _ODS_NS_TABLE):
                    sheet = el.get(_A_NAME) or ""
                    row0, table = -1, el
                elif tag == "table-row":
                    row0 += 1
                    col0 = 0
                    rows_rep = int(el.get(_A_ROWS_REP) or 1)
                continue
            if tag in ("table-cell", "covered-table-cell"):
                cols_rep = int(el.get(_A_COLS_REP) or 1)
                formula = el.get(_A_FORMULA)
                if formula is not None:
                    _ods_mark_cell(marks, sheet, el, formula, row0, col0, rows_rep, cols_rep)
                col0 += cols_rep
                el.clear()
            elif tag == "table-row":
                row0 += rows_rep - 1
                if table is not None:
                    table.clear()  # drop processed rows (rows may sit in row groups: harmless)
    return marks


def _ods_mark_cell(
    marks: _OdsMarks, sheet: str, el: ET.Element, formula: str, row0: int, col0: int, rows_rep: int, cols_rep: int
) -> None:
    text = "".join(el.itertext()).strip()
    value: tuple[str, Any] | None = None
    if el.get(_A_CALC_VTYPE) == "error" or _ERROR_TEXT.match(text):
        value = ("error", text or "#VALUE!")
    elif formula in ("of:=TRUE()", "of:=FALSE()") and el.get(_A_VTYPE) == "float":
        value = ("bool", formula == "of:=TRUE()")
    if value is None:
        return
    target: dict[tuple[int, int], Any] = (marks.errors if value[0] == "error" else marks.bools).setdefault(sheet, {})
    count = 0
    for r in range(row0, row0 + rows_rep):
        for c in range(col0, col0 + cols_rep):
            target[(r, c)] = value[1]
            count += 1
            if count >= _MAX_REPEAT_MARKS:
                return


# --------------------------------------------------------------------------------------
# engines
# --------------------------------------------------------------------------------------


def read_workbook(
    path: str | Path, engine: str = "calamine", limits: ReadLimits | None = None, *, lazy: bool = False
) -> RawWorkbook:
    """Read an untrusted workbook into a normalised :class:`RawWorkbook`.

    ``engine`` "calamine" (default, fast, xlsx/xlsm/xls/ods) or "openpyxl" (reference,
    xlsx/xlsm; other formats and Strict OOXML fall back to calamine).  Never raises
    anything but :class:`ReadError`.  Runs in-process: use
    :func:`xlkpss.read.sandbox.read_safely` for a time and memory limit.

    ``lazy=True`` (calamine, xlsx/xlsm): every sheet is listed, but its cells are parsed
    only when ``rows`` or ``errors`` is first used — validation never touches the
    hidden list of 6,258 obce or the instructions.  The values are the same as eager
    reading; a sheet that cannot be parsed raises :class:`ReadError` at that first use,
    so a broken sheet nobody reads no longer rejects the file.  Pickling a lazy
    workbook loads everything first.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    limits = limits or DEFAULT_LIMITS
    path = Path(path)
    with _as_read_errors():
        probe = _probe(path, limits)
        if engine == "openpyxl" and probe.format in ("xlsx", "xlsm") and not probe.strict:
            wb = _read_openpyxl(path, probe, limits)
        else:
            wb = _read_calamine(path, probe, limits, lazy=lazy)
    return wb


@contextlib.contextmanager
def _as_read_errors() -> Iterator[None]:
    """Whatever a parser raises on an untrusted file, as the ``ReadError`` the user sees."""
    try:
        yield
    except ReadError:
        raise
    except MemoryError:
        raise ReadError("file-memory") from None
    except RecursionError as exc:
        raise ReadError("file-unsafe", _short(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is a corrupt file to the user
        raise _map_exception(exc) from None


def _map_exception(exc: Exception) -> ReadError:
    """Translate a parser's exception into the issue a person reads."""
    import python_calamine as pc

    if isinstance(exc, pc.PasswordError):
        return ReadError("file-encrypted", "sešit s heslem")
    msg = _short(exc)
    if isinstance(exc, pc.CalamineError) and "Cell limit exceeded" in str(exc):
        # calamine's own guard against "repeat this cell a billion times" (corpus: issue_594_dos.ods)
        return ReadError("file-unsafe", "obrovský počet opakovaných buněk")
    return ReadError("file-corrupt", msg)


def _read_calamine(path: Path, probe: _Probe, limits: ReadLimits, lazy: bool = False) -> RawWorkbook:
    import python_calamine as pc

    wb = RawWorkbook(path=path, format=probe.format, sheets=[], application=probe.application)
    if lazy and probe.format in ("xlsx", "xlsm") and not probe.strict:
        book = _LazyBook(path, probe, limits, wb.truncated)
        data_types = (pc.SheetTypeEnum.WorkSheet, pc.SheetTypeEnum.DialogSheet, pc.SheetTypeEnum.MacroSheet)
        for meta in book.cwb.sheets_metadata:
            if meta.typ in data_types:
                wb.sheets.append(_LazySheet(meta.name, meta.visible != pc.SheetVisibleEnum.Visible, book))
        return wb
    with _with_suffix(path, probe.format) as calamine_path, pc.CalamineWorkbook.from_path(calamine_path) as cwb:
        metas = cwb.sheets_metadata
        data_types = (pc.SheetTypeEnum.WorkSheet, pc.SheetTypeEnum.DialogSheet, pc.SheetTypeEnum.MacroSheet)
        for meta in metas:
            if meta.typ not in data_types:
                continue
            try:
                sheet = cwb.get_sheet_by_name(meta.name)
                rows, total = _calamine_rows(sheet, limits.max_rows)
            except pc.PasswordError:
                raise
            except Exception as exc:  # noqa: BLE001 - name the sheet that failed
                what = "Strict Open XML, uložte jej jako běžný .xlsx; " if probe.strict else ""
                raise ReadError("file-corrupt", f"{what}list „{meta.name}“: {_short(exc, 120)}") from None
            wb.sheets.append(RawSheet(meta.name, rows, hidden=meta.visible != pc.SheetVisibleEnum.Visible))
            if total is not None:
                wb.truncated[meta.name] = total
    if probe.format in ("xlsx", "xlsm"):
        _apply_xlsx_errors(path, probe, wb, limits.max_rows)
    elif probe.format == "ods" and probe.content_part:
        _apply_ods_marks(path, probe, wb, limits.max_rows)
    elif probe.format == "xls":
        _apply_xls_errors(path, wb, limits.max_rows)
    if probe.strict and not wb.sheets:
        raise ReadError("file-corrupt", "formát Strict Open XML nelze přečíst; uložte sešit jako běžný .xlsx")
    return wb


class _LazyBook:
    """An open calamine workbook whose sheets are parsed on demand (see ``lazy``)."""

    def __init__(self, path: Path, probe: _Probe, limits: ReadLimits, truncated: dict[str, int]):
        import python_calamine as pc

        self.path, self.probe, self.limits, self.truncated = path, probe, limits, truncated
        self._tmp = None
        self._zf: zipfile.ZipFile | None = None  # for the formula-error scan, opened once
        calamine_path = str(path)
        if path.suffix.lower() not in _SUFFIXES[probe.format]:
            self._tmp = tempfile.TemporaryDirectory(prefix="xlkpss-")  # removed when the book is collected
            link = Path(self._tmp.name) / f"file{_SUFFIXES[probe.format][0]}"
            link.symlink_to(path.resolve())
            calamine_path = str(link)
        self.cwb = pc.CalamineWorkbook.from_path(calamine_path)

    def load(self, name: str) -> RawSheet:
        """The sheet's rows and formula errors, exactly as eager reading gives them."""
        import python_calamine as pc

        with _as_read_errors():
            try:
                sheet = self.cwb.get_sheet_by_name(name)
                rows, total = _calamine_rows(sheet, self.limits.max_rows)
            except (pc.PasswordError, MemoryError, RecursionError):
                raise
            except Exception as exc:  # noqa: BLE001 - name the sheet that failed
                raise ReadError("file-corrupt", f"list „{name}“: {_short(exc, 120)}") from None
            out = RawSheet(name, rows)
            if total is not None:
                self.truncated[name] = total
            part = self.probe.sheet_parts.get(name)
            if part is not None:
                if self._zf is None:
                    self._zf = zipfile.ZipFile(self.path)
                _set_errors(out, _xlsx_errors(self._zf, part), self.limits.max_rows)
        return out


class _LazySheet(RawSheet):
    """A :class:`RawSheet` whose cells are read at first use (pickles as a plain one)."""

    def __init__(self, name: str, hidden: bool, book: _LazyBook):
        self.name = name
        self.hidden = hidden
        self._book: _LazyBook | None = book
        self._loaded: RawSheet | None = None

    def _load(self) -> RawSheet:
        if self._loaded is None:
            assert self._book is not None
            self._loaded = self._book.load(self.name)
            self._book = None
        return self._loaded

    @property  # type: ignore[override]
    def rows(self) -> list[list[Any]]:
        return self._load().rows

    @property  # type: ignore[override]
    def errors(self) -> dict[tuple[int, int], str]:
        return self._load().errors

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RawSheet):
            return NotImplemented
        return (self.name, self.rows, self.errors, self.hidden) == (other.name, other.rows, other.errors, other.hidden)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        state = "loaded" if self._loaded is not None else "not loaded"
        return f"_LazySheet({self.name!r}, hidden={self.hidden}, {state})"

    def __reduce__(self):
        return (RawSheet, (self.name, self.rows, self.errors, self.hidden))


@contextmanager
def _with_suffix(path: Path, fmt: str) -> Iterator[str]:
    """A path to the file whose extension matches its sniffed format.

    calamine picks its parser by the extension of a path (an xlsx named .xls fails).
    Its content detection (``from_filelike``) tries every parser and reports only
    "Cannot detect file format", losing PasswordError and the real cause; so a
    misnamed file is read through a symlink with the right extension instead.
    """
    if path.suffix.lower() in _SUFFIXES[fmt]:
        yield str(path)
        return
    with tempfile.TemporaryDirectory(prefix="xlkpss-") as tmp:
        link = Path(tmp) / f"file{_SUFFIXES[fmt][0]}"
        link.symlink_to(path.resolve())
        yield str(link)


_SUFFIXES = {"xlsx": (".xlsx", ".xlsm"), "xlsm": (".xlsm", ".xlsx"), "xls": (".xls",), "ods": (".ods",)}


def _calamine_rows(sheet: Any, max_rows: int) -> tuple[list[list[Any]], int | None]:
    """Normalised rows from A1 (``skip_empty_area=False``: keep Excel coordinates)."""
    end = sheet.end
    builder = _SheetBuilder(max_rows)
    if end is None:
        return builder.finish()
    if end[0] < max_rows:
        for raw in sheet.to_python(skip_empty_area=False):
            builder.add(_norm_row(raw))
        return builder.finish()
    # Too many rows: convert only the kept ones; the rest is just checked for content
    # to report the true total.  (iter_rows does not pad leading columns, so it is only
    # used for that check.)
    for raw in sheet.to_python(skip_empty_area=False, nrows=max_rows):
        builder.add(_norm_row(raw))
    for i, raw in enumerate(sheet.iter_rows()):
        if i >= max_rows and any(_norm(v) is not None for v in raw):
            builder.last_filled = i
    return builder.finish()


def _apply_xlsx_errors(path: Path, probe: _Probe, wb: RawWorkbook, max_rows: int) -> None:
    with zipfile.ZipFile(path) as zf:
        for sheet in wb.sheets:
            part = probe.sheet_parts.get(sheet.name)
            if part is None:
                continue
            _set_errors(sheet, _xlsx_errors(zf, part), max_rows)


def _set_errors(sheet: RawSheet, errors: dict[tuple[int, int], str], max_rows: int) -> None:
    """Blank the cells that hold formula errors and record the errors (kept rows only)."""
    for (r, c), text in errors.items():
        if r >= max_rows:
            continue
        if r < len(sheet.rows) and c < len(sheet.rows[r]):
            sheet.rows[r][c] = None
            _trim(sheet.rows[r])
        sheet.errors[(r, c)] = text
    if errors:
        _drop_trailing_rows(sheet.rows)


def _drop_trailing_rows(rows: list[list[Any]]) -> None:
    while rows and not rows[-1]:
        rows.pop()


def _apply_xls_errors(path: Path, wb: RawWorkbook, max_rows: int) -> None:
    """Formula errors of a binary .xls, which calamine returns as blanks: xlrd sees them as
    error cells.  Runs inside the sandboxed worker like every parser; if xlrd cannot open
    a file calamine could read, the file simply has no known error cells."""
    import xlrd

    try:
        with open(os.devnull, "w") as quiet:
            book = xlrd.open_workbook(str(path), on_demand=True, logfile=quiet)
    except Exception:  # noqa: BLE001 - calamine already read the values; errors stay unknown
        return
    try:
        for sheet in wb.sheets:
            try:
                xs = book.sheet_by_name(sheet.name)
            except Exception:  # noqa: BLE001, S112 - a sheet xlrd cannot parse
                continue
            errors: dict[tuple[int, int], str] = {}
            for r in range(min(xs.nrows, max_rows)):
                types = xs.row_types(r)
                if xlrd.XL_CELL_ERROR not in types:
                    continue
                for c, t in enumerate(types):
                    if t == xlrd.XL_CELL_ERROR:
                        errors[(r, c)] = xlrd.error_text_from_code.get(xs.cell_value(r, c), "#ERR!")
            _set_errors(sheet, errors, max_rows)
    finally:
        book.release_resources()


def _apply_ods_marks(path: Path, probe: _Probe, wb: RawWorkbook, max_rows: int) -> None:
    with zipfile.ZipFile(path) as zf:
        marks = _ods_marks(zf, probe.content_part or "content.xml")
    for sheet in wb.sheets:
        for (r, c), flag in marks.bools.get(sheet.name, {}).items():
            if r < len(sheet.rows) and c < len(sheet.rows[r]) and sheet.rows[r][c] in (0, 1):
                sheet.rows[r][c] = flag
        _set_errors(sheet, marks.errors.get(sheet.name, {}), max_rows)
        # calamine gives ods durations as ISO text ("PT36H00M00S"); xlsx gives timedelta
        for row in sheet.rows:
            for j, v in enumerate(row):
                if type(v) is str and v.startswith(("PT", "-PT")):
                    row[j] = _ods_duration(v)


def _ods_duration(text: str) -> Any:
    m = _ODS_DURATION.match(text)
    if not m:
        return text
    hours, minutes, seconds = int(m.group(1)), int(m.group(2)), float(m.group(3))
    delta = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return -delta if text.startswith("-") else delta


def _read_openpyxl(path: Path, probe: _Probe, limits: ReadLimits) -> RawWorkbook:
    import openpyxl

    wb = RawWorkbook(path=path, format=probe.format, sheets=[], application=probe.application)
    # A file object, not the path: openpyxl refuses by *extension* otherwise, and we
    # have already decided the format by content.
    with path.open("rb") as fh, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "extension not supported" etc.: irrelevant for values
        owb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        try:
            for ws in owb.worksheets:
                # The declared <dimension> may be stale (silently truncates data) or
                # huge (LibreOffice's A1:AMJ1048576 takes 40 s): ignore it.
                ws.reset_dimensions()
                sheet, total = _openpyxl_sheet(ws, limits.max_rows)
                wb.sheets.append(sheet)
                if total is not None:
                    wb.truncated[sheet.name] = total
        finally:
            owb.close()
    return wb


_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _ooxml_unescape_char(m: re.Match[str]) -> str:
    code = int(m.group(1), 16)
    # a lone surrogate cannot be a str character: keep the text, as calamine does
    return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def _ooxml_unescape(text: str) -> str:
    """Decode ``_xHHHH_`` escapes (Excel writes CR as ``_x000D_``).  calamine decodes
    them; openpyxl leaves them in the text."""
    return _OOXML_ESCAPE.sub(_ooxml_unescape_char, text) if "_x" in text else text


def _openpyxl_sheet(ws: Any, max_rows: int) -> tuple[RawSheet, int | None]:
    builder = _SheetBuilder(max_rows)
    errors: dict[tuple[int, int], str] = {}
    for r, cells in enumerate(ws.iter_rows()):
        row = []
        for c, cell in enumerate(cells):
            value = cell.value
            if cell.data_type == "e" and value is not None:
                if isinstance(value, str) and value.strip():
                    errors[(r, c)] = value.strip()
                value = None
            elif type(value) is str:
                value = _ooxml_unescape(value)
            row.append(_norm(value))
        builder.add(_trim(row))
    rows, total = builder.finish()
    sheet = RawSheet(ws.title, rows, hidden=ws.sheet_state != "visible")
    sheet.errors = {rc: e for rc, e in errors.items() if rc[0] < max_rows}
    return sheet, total
