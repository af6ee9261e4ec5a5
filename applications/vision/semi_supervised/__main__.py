from applications.cli import main

main("transfer")
