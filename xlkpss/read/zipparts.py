"""Reading the beginning (or the whole) of small zip members without ``zipfile.open``.

The safety checks peek at the first kilobyte of every XML part of a submission (~30 a
file) and the formula-error scan reads each used sheet once; through ``zipfile.open``
every such read costs a ``ZipExtFile`` and several Python-level reads (~40 µs), and the
lazy reader opened the zip a second time for the scan.  Here a member is located once
from the central directory ``zipfile`` already parsed (``locate``), and its bytes are
one ``os.pread`` plus one ``zlib`` call.

The bytes are exactly what ``zipfile`` would return for them.  Anything unusual — another
compression method, encryption, a local header that does not match the directory, a
zlib error — answers ``None`` and the caller takes the ``zipfile`` path, which behaves
(and fails) as before.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from typing import NamedTuple

__all__ = ["Members", "Span", "file_buffer", "locate", "read_member"]

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIG = b"PK\x03\x04"
#: a member larger than this is never inflated in one piece (memory stays flat)
WHOLE_LIMIT = 16 * 1024 * 1024


class Span(NamedTuple):
    """Where a member's data lies in the file, from the central directory (a tuple:
    made for every sheet of every file, ~5× cheaper than a frozen dataclass)."""

    name: str
    header_offset: int
    compress_size: int
    file_size: int
    method: int


def locate(zf: zipfile.ZipFile, names) -> dict[str, Span]:
    """Spans of ``names`` (members of ``zf``) that can be read directly: stored or
    deflated, not encrypted."""
    out: dict[str, Span] = {}
    for name in names:
        try:
            info = zf.getinfo(name)
        except KeyError:
            continue
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            continue
        out[name] = Span(name, info.header_offset, info.compress_size, info.file_size, info.compress_type)
    return out


class _Buffer:
    """The whole (small) file in memory, read with one system call; ``pread`` as on a file."""

    def __init__(self, data: bytes):
        self.data = data

    def pread(self, n: int, offset: int) -> bytes:
        return self.data[offset : offset + n]


def file_buffer(fd: int, size: int) -> _Buffer | None:
    """The file behind ``fd`` in memory when it is small (``WHOLE_LIMIT``), else None."""
    if size > WHOLE_LIMIT:
        return None
    try:
        data = os.pread(fd, size, 0)
    except OSError:
        return None
    return _Buffer(data) if len(data) == size else None


def read_member(fd: int | _Buffer | bytes, span: Span, n: int | None = None) -> bytes | None:
    """The first ``n`` bytes of the member (all of it for ``None``, when not larger than
    ``WHOLE_LIMIT``), or ``None`` when the caller must use ``zipfile``."""
    want = span.file_size if n is None else min(n, span.file_size)
    if n is None and span.file_size > WHOLE_LIMIT:
        return None
    if want <= 0:
        return b""  # as zipfile: a member declared empty reads empty (zlib's max_length 0 means no limit)
    if isinstance(fd, bytes):
        pread = lambda k, off: fd[off : off + k]  # noqa: E731 - the file's bytes themselves
    else:
        pread = fd.pread if isinstance(fd, _Buffer) else (lambda k, off: os.pread(fd, k, off))  # type: ignore[arg-type]
    try:
        header = pread(_LOCAL.size + 512, span.header_offset)
        if len(header) < _LOCAL.size:
            return None
        fields = _LOCAL.unpack_from(header)
        if fields[0] != _LOCAL_SIG:
            return None
        name_len, extra_len = fields[10], fields[11]
        if header[_LOCAL.size : _LOCAL.size + name_len] != span.name.encode("utf-8" if fields[3] & 0x800 else "cp437"):
            return None
        start = span.header_offset + _LOCAL.size + name_len + extra_len
        if span.method == zipfile.ZIP_STORED:
            data = pread(want, start)
            return data if len(data) == want else None
        # deflate: read the compressed bytes needed (all for a whole member; for a head a
        # few times the output, more if that was not enough)
        budget = span.compress_size if n is None else min(span.compress_size, max(4096, 4 * want))
        while True:
            raw = pread(budget, start)
            d = zlib.decompressobj(-15)
            out = d.decompress(raw, want)
            if len(out) >= want or budget >= span.compress_size:
                return out if len(out) == want else None  # short: corrupt, zipfile decides
            budget = min(span.compress_size, budget * 4)
    except (OSError, zlib.error, struct.error, UnicodeError):
        return None


#: peeks (and whole parts) of up to ``_MEMO_OUT`` bytes decoded from the first
#: ``_MEMO_IN`` compressed bytes are kept: (length, compressed bytes) -> the bytes they
#: inflate to (at most ~20 MB).  Inflating is a pure
#: function of its input, so a repeated input gives the same bytes without the ~4 µs of
#: setting up a deflate block again.
_PEEKS: dict[tuple[int, bytes], bytes] = {}
_MEMO_IN = 1024
_MEMO_OUT = 16 * 1024
_MEMO_SIZE = 1024

#: flag bits zipfile refuses or treats specially (encrypted, compressed patch, strong encryption)
_SPECIAL_FLAGS = 0x1 | 0x20 | 0x40


class Members:
    """The members of one open zip, read from an in-memory copy of its file.

    ``read`` answers exactly what ``zf.read(name)`` (``n`` None) or
    ``zf.open(name).read(n)`` answers, CRC check included when the whole member is
    read; anything unusual (see the module) goes through ``zipfile`` itself, which
    then behaves and fails as before.  ``head`` is the cheap peek of the safety scan:
    the first ``n`` bytes or ``None`` (then the caller uses ``zipfile``), no CRC, as
    :func:`read_member`.
    """

    def __init__(self, zf: zipfile.ZipFile, data: bytes | None):
        self.zf = zf
        #: the whole file, or None when it was too large to keep (``WHOLE_LIMIT``)
        self.data = data

    def head(self, info: zipfile.ZipInfo, n: int) -> bytes | None:
        data = self.data
        if data is None or info.flag_bits & _SPECIAL_FLAGS:
            return None
        method = info.compress_type
        if method != zipfile.ZIP_DEFLATED and method != zipfile.ZIP_STORED:
            return None
        off = info.header_offset
        try:
            fields = _LOCAL.unpack_from(data, off)
        except struct.error:
            return None
        if fields[0] != _LOCAL_SIG:
            return None
        name_len = fields[10]
        start = off + _LOCAL.size + name_len
        name = info.orig_filename
        try:  # ASCII is the same in UTF-8 and cp437 (and the codec call is slow)
            encoded = name.encode("ascii") if name.isascii() else name.encode("utf-8" if fields[3] & 0x800 else "cp437")
        except UnicodeError:
            return None
        if data[off + _LOCAL.size : start] != encoded:
            return None
        start += fields[11]
        want = info.file_size if n < 0 else min(n, info.file_size)
        if want <= 0:
            return b""  # as zipfile: a member declared empty reads empty (zlib's max_length 0 means no limit)
        if method == zipfile.ZIP_STORED:
            if info.compress_size != info.file_size:
                return None
            out = data[start : start + want]
            return out if len(out) == want else None
        end = start + info.compress_size
        if end > len(data):
            return None
        try:
            if 0 <= n <= _MEMO_OUT or (n < 0 and info.compress_size <= _MEMO_IN and want <= _MEMO_OUT):
                # a short peek or a small part: memoised by the compressed bytes it is
                # decoded from (the files of one template repeat most parts byte for byte)
                key = (want, data[start : start + min(info.compress_size, _MEMO_IN)])
                out = _PEEKS.get(key)
                if out is not None:
                    return out
                out = zlib.decompressobj(-15).decompress(key[1], want)
                if len(out) == want:
                    if len(_PEEKS) >= _MEMO_SIZE:
                        _PEEKS.clear()
                    _PEEKS[key] = out
                    return out
            budget = info.compress_size if n < 0 else min(info.compress_size, max(4096, 4 * want))
            while True:
                out = zlib.decompressobj(-15).decompress(data[start : start + budget], want)
                if len(out) >= want or budget >= info.compress_size:
                    return out if len(out) == want else None
                budget = min(info.compress_size, budget * 4)
        except zlib.error:
            return None

    def read(self, name: str, n: int | None = None) -> bytes:
        info = self.zf.NameToInfo.get(name)
        if info is not None and info.file_size <= WHOLE_LIMIT:
            if n is None or n >= info.file_size:  # zipfile reads to the end: CRC checked
                out = self.head(info, -1)
                if out is not None and zlib.crc32(out) == info.CRC:
                    return out
            else:
                out = self.head(info, n)
                if out is not None:
                    return out
        if n is None:
            return self.zf.read(name)
        with self.zf.open(name) as fh:
            return fh.read(n)
