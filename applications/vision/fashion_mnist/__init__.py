"""Fashion-MNIST image classification with `ImageClassifier`, served from raw
uint8 images."""
