"""The HTML summary in a real browser: headless Debian Chromium through Playwright.

Loads the page rendered from the sample merge, asserts no console error, no request
other than the file itself (``file:``/``data:``), charts present and drawn, no script
run from submitted text, no horizontal overflow on a phone; takes a screenshot and
prints the page to an A4 PDF.  Runs in CI (``.ci/run`` installs ``chromium``); fails
there when Chromium is missing, skips locally.

The README's screenshots come from ``scripts/screenshots.py`` (the demo's pages).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from browser import cli_capture, have_playwright, open_page, require_chromium

pytestmark = pytest.mark.chromium

ROOT = Path(__file__).resolve().parent.parent
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def summary_file(tmp_path_factory) -> Path:
    from test_summary import sample_page

    return sample_page(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def visit(summary_file, tmp_path_factory):
    """One browser visit shared by the checks (starting Chromium takes ~1 s)."""
    require_chromium()
    if not have_playwright():
        if os.environ.get("CI"):
            pytest.fail("playwright is missing but CI is set: install the test extra (pip install -e '.[test]')")
        pytest.skip("playwright not installed")
    out = tmp_path_factory.mktemp("shots")
    dialogs: list[str] = []
    with open_page(summary_file, width=1000, height=1700) as v:
        v.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        v.png = v.screenshot(out / "summary.png")
        v.top_png = v.screenshot(out / "summary_top.png", full_page=False)
        v.pdf_path = v.pdf(out / "summary.pdf")
        v.title = v.page.title()
        v.charts = v.page.evaluate(
            """() => Array.from(document.querySelectorAll('svg.chart')).map(s => {
                   const b = s.getBoundingClientRect();
                   const bars = Array.from(s.querySelectorAll('rect')).filter(r => r.getBBox().width > 0.5);
                   return {id: s.id, width: b.width, height: b.height, bars: bars.length,
                           label: s.getAttribute('aria-labelledby'),
                           title: (s.querySelector('title') || {}).textContent || ''};
               })"""
        )
        v.heat_cells = v.page.locator("table.heat td[style]").count()
        v.body_text = v.page.inner_text("body")
        v.page.set_viewport_size({"width": 390, "height": 844})
        v.overflow = v.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        v.page.evaluate("() => document.querySelector('#cilove-skupiny table.heat').scrollIntoView()")
        v.phone_png = v.screenshot(out / "summary_phone.png", full_page=False)
    v.dialogs = dialogs
    return v


def test_loads_without_console_errors(visit):
    assert visit.console_errors == []
    assert visit.failed == []


def test_no_network_requests(visit, summary_file):
    assert visit.requests, "the page itself was not requested"
    bad = [u for u in visit.requests if not u.startswith(("file:", "data:"))]
    assert bad == []
    assert visit.requests[0] == summary_file.resolve().as_uri()


def test_charts_present_and_drawn(visit):
    assert len(visit.charts) >= 5
    for chart in visit.charts:
        assert chart["width"] > 100 and chart["height"] > 20, chart
        assert chart["bars"] >= 1, chart
        assert chart["title"].strip(), chart
    assert visit.heat_cells > 0


def test_submitted_script_is_text(tmp_path):
    """A provider named <script>alert(1)</script>: shown as text, never run."""
    from test_summary import evil_page

    require_chromium()
    if not have_playwright():
        pytest.skip("playwright not installed")
    page = evil_page(tmp_path)
    dialogs: list[str] = []
    with open_page(page) as v:
        v.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        scripts = v.page.locator("script").count()
        text = v.page.inner_text("body")
    assert scripts == 0
    assert dialogs == []
    assert v.console_errors == []
    assert XSS in text


def test_phone_has_no_horizontal_overflow(visit):
    assert visit.overflow <= 0


def test_screenshot_and_pdf(visit):
    png = visit.png.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    pdf = visit.pdf_path.read_bytes()
    assert pdf[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 4, pages  # sections start on a new page
    if shutil.which("pdftotext"):
        import subprocess

        text = subprocess.run(
            ["pdftotext", "-layout", str(visit.pdf_path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Hlavní údaje" in text and "Kč" in text
    assert visit.phone_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chromium_command_line(summary_file, tmp_path):
    """The fallback without Playwright: Chromium's own --screenshot and --print-to-pdf."""
    require_chromium()
    png, pdf = tmp_path / "cli.png", tmp_path / "cli.pdf"
    cli_capture(summary_file, png, pdf)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
