"""Stage 4: validated submissions → consolidated ORP / regional workbook."""
