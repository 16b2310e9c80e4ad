"""Stage 2: file → RawWorkbook (any engine) → Submission (recognised template)."""
