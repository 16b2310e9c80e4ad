"""How a parser's failure on an untrusted file becomes the one ``ReadError`` a person reads
(``short_error`` for its text, ``as_read_errors`` around every parse)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from xlkpss.read.model import ReadError

__all__ = ["as_read_errors", "short_error"]

def short_error(exc: BaseException, limit: int = 160) -> str:
    """A one-line description of a library exception for ReadError.value."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    name = type(exc).__name__
    if not text.startswith(name):
        text = f"{name}: {text}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextlib.contextmanager
def as_read_errors() -> Iterator[None]:
    """Whatever a parser raises on an untrusted file, as the ``ReadError`` the user sees."""
    try:
        yield
    except ReadError:
        raise
    except MemoryError:
        raise ReadError("file-memory") from None
    except RecursionError as exc:
        raise ReadError("file-unsafe", short_error(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is a corrupt file to the user
        raise _map_exception(exc) from None


def _map_exception(exc: Exception) -> ReadError:
    """Translate a parser's exception into the issue a person reads."""
    import python_calamine as pc

    if isinstance(exc, pc.PasswordError):
        return ReadError("file-encrypted", "sešit s heslem")
    msg = short_error(exc)
    if isinstance(exc, pc.CalamineError) and "Cell limit exceeded" in str(exc):
        # calamine's own guard against "repeat this cell a billion times" (corpus: issue_594_dos.ods)
        return ReadError("file-unsafe", "obrovský počet opakovaných buněk")
    return ReadError("file-corrupt", msg)
