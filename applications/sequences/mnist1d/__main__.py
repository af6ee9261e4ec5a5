from applications.cli import main

main("mnist1d")
