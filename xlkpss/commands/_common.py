"""Helpers shared by several commands (click only at top level)."""

from __future__ import annotations

from pathlib import Path

import click


def open_consolidated(workbook: Path):
    """Read a consolidated workbook or stop with a clear Czech message (exit 1)."""
    from xlkpss.merge.workbook import ConsolidatedReadError, read_consolidated

    try:
        return read_consolidated(workbook)
    except ConsolidatedReadError as exc:
        raise click.ClickException(str(exc)) from None
    except (ValueError, KeyError, OSError) as exc:
        raise click.ClickException(f"{workbook}: není to souhrnný sešit xlkpss ({exc})") from None
