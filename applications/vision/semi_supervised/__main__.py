from applications.cli import main

main("semi_supervised")
