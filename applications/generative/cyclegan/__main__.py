from applications.runner import main

main("cyclegan")
