"""Cell addresses in A1 style, shared by every stage that names a cell to a person."""

from __future__ import annotations

__all__ = ["a1", "col_letter"]


def col_letter(idx0: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    s = ""
    idx = idx0 + 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        s = chr(65 + rem) + s
    return s


def a1(row0: int, col0: int) -> str:
    """A1 address of a 0-based (row, column)."""
    return f"{col_letter(col0)}{row0 + 1}"
