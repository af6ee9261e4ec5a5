from applications.cli import main

main("dcgan")
