from applications.runner import main

main("mnist1d")
