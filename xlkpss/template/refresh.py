"""Regenerate the blank templates committed in ``workbook_templates/``.

    python -m xlkpss.template.refresh            # rewrite workbook_templates/*.xlsx
    python -m xlkpss.template.refresh --check    # exit 1 when a committed file is stale
    python -m xlkpss.template.refresh --out DIR  # write somewhere else

One file per template kind, named by the spec's ``filename``, for the whole country
(no territory, no year).  The bytes are deterministic, so a stale committed template
shows up as a byte difference (``tests/test_template.py`` checks it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from xlkpss.spec import load_spec
from xlkpss.template import build_template

__all__ = ["DEFAULT_DIR", "stale_templates", "write_templates"]

#: ``workbook_templates/`` at the repository root (next to the package directory).
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "workbook_templates"


def write_templates(out_dir: str | Path = DEFAULT_DIR) -> list[Path]:
    """Write every template kind into ``out_dir``; returns the paths in spec order."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [build_template(kind, out / t.filename) for kind, t in load_spec().templates.items()]


def stale_templates(out_dir: str | Path = DEFAULT_DIR) -> list[Path]:
    """Committed templates that differ from freshly generated ones (or are missing)."""
    out = Path(out_dir)
    stale = []
    with tempfile.TemporaryDirectory(prefix="xlkpss_refresh_") as tmp:
        for fresh in write_templates(tmp):
            committed = out / fresh.name
            if not committed.is_file() or committed.read_bytes() != fresh.read_bytes():
                stale.append(committed)
    return stale


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xlkpss.template.refresh", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_DIR, help="target directory (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="only report stale templates; exit 1 if any")
    args = ap.parse_args(argv)
    if args.check:
        stale = stale_templates(args.out)
        for p in stale:
            print(f"zastaralá šablona: {p}", file=sys.stderr)
        if stale:
            print("obnovte: python -m xlkpss.template.refresh", file=sys.stderr)
        return 1 if stale else 0
    for p in write_templates(args.out):
        print(p)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
