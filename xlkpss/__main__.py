from xlkpss.cli import main

main()
