"""Drive the system Chromium (Debian ``/usr/bin/chromium``) from tests: open a local page,
record console messages, page errors and every network request, take a screenshot and
print a PDF.  Playwright-Python is used with ``executable_path``: it never downloads a
browser.  Without Playwright, the Chromium command line still gives the screenshot and PDF.

Usage::

    with open_page(path, width=1000) as visit:
        visit.page.locator("svg").count()
        visit.screenshot(png)
        visit.pdf(pdf)
    visit.console_errors, visit.requests
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: same flags as /work/shared/realclient/HOWTO.md §2: no GPU, no background traffic
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--font-render-hinting=none",
]


def chromium_path() -> str | None:
    """The Chromium executable, or None (``XLKPSS_CHROMIUM`` overrides the search)."""
    env = os.environ.get("XLKPSS_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The Chromium path; in CI a missing browser fails the test, locally it skips."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing but CI is set: .ci/run must install the Debian package chromium")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    return path


def have_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Visit:
    page: Any = None
    console: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind in ("error", "warning")] + self.page_errors

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def pdf(self, path: Path) -> Path:
        self.page.emulate_media(media="print")
        self.page.pdf(path=str(path), format="A4", print_background=True, prefer_css_page_size=True)
        self.page.emulate_media(media="screen")
        return path


@contextlib.contextmanager
def open_page(html: Path, *, width: int = 1000, height: int = 800) -> Iterator[Visit]:
    """Open a local HTML file in headless Chromium through Playwright."""
    from playwright.sync_api import sync_playwright

    exe = require_chromium()
    visit = Visit()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=FLAGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, locale="cs-CZ")
            page = context.new_page()
            page.on("console", lambda m: visit.console.append((m.type, m.text)))
            page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
            page.on("request", lambda r: visit.requests.append(r.url))
            page.on("requestfailed", lambda r: visit.failed.append(r.url))
            page.goto(html.resolve().as_uri(), wait_until="load")
            visit.page = page
            yield visit
        finally:
            browser.close()


def cli_capture(
    html: Path, png: Path | None = None, pdf: Path | None = None, *, width: int = 1000, height: int = 2400
) -> None:
    """Screenshot and/or PDF through the Chromium command line (fallback without Playwright)."""
    exe = require_chromium()
    with tempfile.TemporaryDirectory() as profile:
        base = [exe, "--headless", *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
        for opt, out in (("--screenshot", png), ("--print-to-pdf", pdf)):
            if out is None:
                continue
            cmd = base + [f"{opt}={Path(out).resolve()}", "--no-pdf-header-footer", html.resolve().as_uri()]
            subprocess.run(cmd, check=True, capture_output=True, timeout=120)
