"""Stage 3: Submission → issues + typed frames (pandera schemas generated from the spec)."""
