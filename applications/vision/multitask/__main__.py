from applications.cli import main

main("multitask")
