"""The limits for reading one untrusted file and the checks a zip passes before any parser
sees it: sizes and compression ratio (decompression bombs), a DTD in any XML part (XXE,
"billion laughs"); plus the small helpers that read zip members within those limits."""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from xlkpss.read.model import ReadError

__all__ = [
    "DEFAULT_LIMITS",
    "ReadLimits",
    "check_xml_bytes",
    "check_xml_safety",
    "check_zip_safety",
    "human_size",
    "local_name",
    "member_matches",
    "read_head",
]

_MB = 1024 * 1024


def human_size(n: int) -> str:
    if n >= _MB:
        return f"{n / _MB:.1f} MB"
    return f"{n / 1024:.0f} kB" if n >= 1024 else f"{n} B"


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
_XML_WINDOW = 64 * 1024
#: the first bytes of an XML part: enough for the usual prolog (``<?xml …?>``) and the
#: root element's start; a part whose root does not start in them gets the full window
_PROLOG_PEEK = 1024
_RATIO_FLOOR = _MB
#: files up to this size are read into memory once for the safety peeks
_WHOLE_LIMIT = 16 * _MB


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def read_head(zf: zipfile.ZipFile, name: str, n: int = _XML_WINDOW) -> bytes:
    with zf.open(name) as fh:
        return fh.read(n)


def member_matches(zf: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes], chunk: int = _MB) -> bool:
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


def check_zip_safety(zf: zipfile.ZipFile, limits: ReadLimits) -> None:
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
        raise ReadError("file-unsafe", f"zip bomb: rozbaleno {human_size(total)}")


_PROLOG_TOKEN = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


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


#: the usual prolog, exactly: an (ASCII) XML declaration or none, whitespace, the root
#: element's start tag
_EARLY_ROOT = re.compile(rb"(?:<\?xml[\t\n\r\x20-\x3b\x3d\x40-\x7e]*\?>)?[ \t\r\n]*<[A-Za-z_]")


def _root_starts_early(head: bytes) -> bool:
    """True when the root element starts within ``head`` after a prolog of only
    whitespace, processing instructions and comments (the usual case: one ``<?xml …?>``)."""
    if _EARLY_ROOT.match(head) is not None:
        # the same answer as below without the prolog tokens: the matched start is ASCII
        # and begins with "<" (no BOM, not UTF-16), so the text is the UTF-8 decoding
        text: Any = head if head.isascii() else head.decode("utf-8", "ignore")
        if head is text:
            return b"<!ENTITY" not in head and b"<!DOCTYPE" not in head and b"<!doctype" not in head
        return "<!ENTITY" not in text and "<!DOCTYPE" not in text and "<!doctype" not in text
    text = _xml_text(head).lstrip("\ufeff")
    if "<!ENTITY" in text or "<!DOCTYPE" in text or "<!doctype" in text:
        return False  # the full check decides (and refuses a DTD in the prolog)
    pos = _prolog_end(text)
    return text[pos : pos + 1] == "<" and text[pos + 1 : pos + 2] not in ("!", "?", "/", "")


def _fileno(zf: zipfile.ZipFile) -> int | None:
    try:
        return zf.fp.fileno() if zf.fp is not None else None
    except (AttributeError, OSError, ValueError):
        return None


def _is_xml_part(name: str) -> bool:
    low = name.casefold()
    return low.endswith((".xml", ".rels", ".vml")) or low == "mimetype"


def check_xml_safety(zf: zipfile.ZipFile, names: Iterable[str], members: Any = None) -> None:
    """Refuse any XML part that declares a DTD.

    A DTD can only appear in the prolog, before the root element.  Office files never
    carry one, while a DTD is what XXE and entity-expansion ("billion laughs") attacks
    need, so a DOCTYPE anywhere in the prolog (or an ENTITY in the first window) is
    enough to refuse the file without trusting any parser's defences.

    ``members`` (:class:`xlkpss.read.zipparts.Members`, the file already in memory)
    makes the usual peek one ``zlib`` call; without it the file is read here.
    """
    from xlkpss.read.zipparts import Members

    parts = [n for n in names if _is_xml_part(n)]
    if members is None:
        fd = _fileno(zf)
        data = None
        if fd is not None:
            try:
                size = os.fstat(fd).st_size
                data = os.pread(fd, size, 0) if size <= _WHOLE_LIMIT else None
            except OSError:
                data = None
        members = Members(zf, data if data is not None and len(data) == size else None)
    infos = zf.NameToInfo
    for name in parts:
        info = infos.get(name)
        if info is not None:
            head = members.head(info, _PROLOG_PEEK)
            if head is not None and _root_starts_early(head):
                continue  # the usual case, without zipfile.open (see xlkpss.read.zipparts)
        with zf.open(name) as fh:
            head = fh.read(_PROLOG_PEEK)
            if _root_starts_early(head):
                continue  # the prolog ended without a DTD: nothing further can declare one
            head += fh.read(_XML_WINDOW - len(head))
        _refuse_dtd(name, head)


def check_xml_bytes(name: str, data: bytes) -> None:
    """:func:`check_xml_safety` for one part whose bytes (all of it, or at least its first
    64 KB) are already in hand."""
    if _is_xml_part(name) and not _root_starts_early(data[:_PROLOG_PEEK]):
        _refuse_dtd(name, data[:_XML_WINDOW])


def _refuse_dtd(name: str, head: bytes) -> None:
    """The full check of a part's first window (the root did not start early)."""
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
