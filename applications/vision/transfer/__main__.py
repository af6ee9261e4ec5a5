from applications.runner import main

main("transfer")
