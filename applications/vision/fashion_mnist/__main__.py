from applications.cli import main

main("fashion_mnist")
