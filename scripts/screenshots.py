"""Regenerate the README's screenshots (docs/*.png) from the demo on the bundled samples.

Runs ``xlkpss demo`` into a temporary folder and photographs its pages in headless
Debian Chromium through Playwright (``pip install -e '.[test]'``; no browser download:
``/usr/bin/chromium`` or ``XLKPSS_CHROMIUM``), at a desktop width and at a phone's 390 px:

* ``docs/summary.png`` / ``docs/summary_phone.png`` — HTML souhrn ORP Chomutov (top of the
  page; on the phone the target-group heat table, which scrolls with its labels in view),
* ``docs/comparison.png`` / ``docs/comparison_phone.png`` — the comparison with the registry
  (``merge --registry``: completeness per service, who is behind, what differs),
* ``docs/catalogue.png`` / ``docs/catalogue_phone.png`` — the catalogue of services.

    .venv/bin/python scripts/screenshots.py            # writes docs/*.png
    .venv/bin/python scripts/screenshots.py --out DIR  # somewhere else
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: as /work/shared/realclient/HOWTO.md §2 (and tests/browser.py): deterministic rendering
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--force-device-scale-factor=1", "--font-render-hinting=none"]  # fmt: skip
DESKTOP = {"width": 1000, "height": 1400}
PHONE = {"width": 390, "height": 844}

#: (png, page of the demo, viewport, element scrolled to the top or None for the page's top)
SHOTS = [
    ("summary.png", "souhrn_orp_4203_chomutov.html", DESKTOP, None),
    ("summary_phone.png", "souhrn_orp_4203_chomutov.html", PHONE, "#cilove-skupiny table.heat"),
    ("comparison.png", "porovnani_s_registrem_orp_4203.html", DESKTOP, "#ocekavane-sluzby"),
    ("comparison_phone.png", "porovnani_s_registrem_orp_4203.html", PHONE, "#ocekavane-sluzby"),
    ("catalogue.png", "katalog_CZ042.html", DESKTOP, None),
    ("catalogue_phone.png", "katalog_CZ042.html", PHONE, None),
]


def chromium() -> str:
    exe = os.environ.get("XLKPSS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        sys.exit("Chromium not found: apt-get install chromium (or set XLKPSS_CHROMIUM)")
    return exe


def shoot(demo: Path, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), headless=True, args=FLAGS)
        try:
            for png, page_name, viewport, anchor in SHOTS:
                page = browser.new_context(viewport=viewport, locale="cs-CZ").new_page()
                page.goto((demo / page_name).resolve().as_uri(), wait_until="load")
                if anchor:
                    page.evaluate("(sel) => document.querySelector(sel).scrollIntoView()", anchor)
                page.screenshot(path=str(out / png), full_page=False)
                page.context.close()
                written.append(out / png)
        finally:
            browser.close()
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs", help="folder of the PNGs (default docs/)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "xlkpss", "demo", str(demo)], check=True, capture_output=True)
        for path in shoot(demo, args.out):
            print(path)


if __name__ == "__main__":
    main()
