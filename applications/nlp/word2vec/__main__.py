"""Word2Vec on Multi30k English and tiny Shakespeare, side by side with gensim."""

from applications.cli import main

main("word2vec")
