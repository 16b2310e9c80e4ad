"""The README documents every command and every issue code (as sqlite-utils' test_docs does)."""

from __future__ import annotations

from pathlib import Path

from xlkpss.cli import main
from xlkpss.i18n import ISSUES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_has_help_and_is_documented():
    for name, command in main.commands.items():
        assert command.help, name
        assert f"xlkpss {name}" in README, name


def test_every_issue_code_is_documented():
    for code in ISSUES:
        assert f"`{code}`" in README, code
