from applications.runner import main

main("dcgan")
