"""Process-level speed helpers."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def gc_paused(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with Python's cyclic garbage collector paused.

    Validation, merges and workbook writes build millions of short-lived containers (row
    dicts, cell lists); every few thousand of them the collector walks the young ones
    looking for reference cycles, which costs 25–60 % of those functions' time
    (measured: national merge 4.3 → 3.0 s, national workbook 7.9 → 5.9 s, batched
    checks 0.42 → 0.17 s; the parent collecting 8,464 parsed files 2.53 → 2.02 CPU s).  Their data holds no cycles — reference counting frees it —
    so the pause loses nothing; the collector runs again as soon as the call returns
    (and is left alone when it was already off).
    """

    @functools.wraps(func)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            gc.enable()

    return paused
