"""Train, evaluate and export the Fashion-MNIST CNN."""

from pathlib import Path

import keras
import numpy as np

from applications.plots import plot_confusion_matrix, plot_learning_curves
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.export import export_saved_model
from kerastoolkit.training.callbacks import default_callbacks

PUBLISHED = {
    "2-conv CNN (Xiao et al. 2017), test accuracy": 0.916,
    "WRN-40-4 (Zhong et al. 2017), test accuracy": 0.967,
}


def build_model(config):
    """A two-block CNN whose input is raw `uint8` images of shape (28, 28).

    Scaling to [0, 1] happens inside the model, so the SavedModel serves raw
    pixels and returns class probabilities.
    """
    images = keras.Input(shape=(28, 28), dtype="uint8", name="image")
    x = keras.layers.Rescaling(1.0 / 255.0)(images)
    x = keras.layers.Reshape((28, 28, 1))(x)
    for filters in config.filters:
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(config.dropout)(x)
    x = keras.layers.Dense(config.dense_units, activation="relu")(x)
    probabilities = keras.layers.Dense(10, activation="softmax", name="probabilities")(
        x
    )
    return keras.Model(images, probabilities, name="fashion_mnist_cnn")


def train_and_evaluate(config):
    """Trains on the training split, evaluates on the official test split.

    Returns:
        Metrics: test accuracy and loss, epochs run, and the SavedModel path.
    """
    keras.utils.set_random_seed(config.seed)
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(
        data_dir=config.data_dir or None
    )
    if config.train_size:
        x_train, y_train = x_train[: config.train_size], y_train[: config.train_size]
    # A seeded shuffle before Keras takes the last `validation_split` as validation.
    order = np.random.default_rng(config.seed).permutation(len(x_train))
    x_train, y_train = x_train[order], y_train[order]

    model = build_model(config)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_split=config.validation_split,
        callbacks=default_callbacks(output_dir, patience=config.patience),
        verbose=config.verbose,
    )
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    predictions = model.predict(x_test, batch_size=512, verbose=0).argmax(axis=-1)

    plot_learning_curves({"CNN": history.history}, output_dir / "learning_curves.png")
    plot_confusion_matrix(
        y_test, predictions, fashion_mnist.CLASS_NAMES, output_dir / "confusion.png"
    )
    model.save(output_dir / "model.keras")
    saved_model = export_saved_model(model, config.export_dir)
    return {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "epochs_run": len(history.history["loss"]),
        "train_images": int(len(x_train)),
        "saved_model": str(saved_model),
    }
