from applications.runner import main

main("roberta_sentiment")
