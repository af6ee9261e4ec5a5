from applications.runner import main

main("multitask")
