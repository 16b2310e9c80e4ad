"""Shared test configuration.

Property tests explore random inputs locally (where a new failing example is welcome),
but CI must give the same verdict for the same commit: under ``CI`` hypothesis runs a
fixed, derandomized set of examples.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
