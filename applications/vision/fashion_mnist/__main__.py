from applications.runner import main

main("fashion_mnist")
