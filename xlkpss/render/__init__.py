"""Stage 5: consolidated data → HTML summary, fulfilment sheets, catalogue."""
