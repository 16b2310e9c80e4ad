from xlkpss.cli import run

run()
