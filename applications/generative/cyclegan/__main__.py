from applications.cli import main

main("cyclegan")
