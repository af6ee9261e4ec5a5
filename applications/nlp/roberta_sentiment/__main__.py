from applications.cli import main

main("roberta_sentiment")
