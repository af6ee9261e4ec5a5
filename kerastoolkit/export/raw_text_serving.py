"""Serve a text classifier on raw strings: tokenisation in the graph.

A KerasHub `TextClassifier` takes token ids; its preprocessor (byte-level
BPE, packing `<s> ... </s>`, padding) runs beside it, in Python or tf.data.
`kerastoolkit.models.TextCNNClassifier` and `RecurrentTextClassifier` take
token ids too, with a `keras.layers.TextVectorization` as their
`preprocessor`. `RawTextClassifier` puts the two in one model, so that an
exported SavedModel answers a batch of sentences with class probabilities,

    p(class | sentence) = softmax(classifier(pack(tokenize(sentence)))),

and a server needs nothing but TensorFlow and the string ops that the
tokenizer's graph uses (`tensorflow_text` for KerasHub's BPE, imported before
loading; a `TextVectorization` needs TensorFlow alone).
"""

import keras


@keras.saving.register_keras_serializable(package="kerastoolkit")
class RawTextClassifier(keras.Model):
    """A text classifier that takes raw strings and returns probabilities.

    Args:
        classifier: a text classifier with a `preprocessor` that maps a
            string tensor to the classifier's inputs: a KerasHub one (e.g.
            `keras_hub.models.RobertaTextClassifier`), or a
            `kerastoolkit.models.TextCNNClassifier` /
            `RecurrentTextClassifier` built with a `TextVectorization`; its
            output activation may be none (logits, then softmaxed here) or a
            softmax.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Call arguments:
        inputs: a string tensor of shape `(batch,)`.

    Returns:
        Class probabilities of shape `(batch, num_classes)`, float32.

    Example:

    >>> model = RawTextClassifier(classifier)
    >>> model(tf.constant(["a joy", "a bore"]))
    >>> export_raw_text_classifier(classifier, "saved_models/sentiment")
    """

    def __init__(self, classifier, **kwargs):
        super().__init__(**kwargs)
        # Strings go to the tokenizer as they are, not cast to the float dtype.
        self._convert_input_args = False
        if getattr(classifier, "preprocessor", None) is None:
            raise ValueError(
                "`classifier` must be a text classifier with a `preprocessor` "
                f"(strings to its inputs), got {type(classifier).__name__} "
                "without one."
            )
        self.classifier = classifier
        self._lookup_tables = _lookup_tables(classifier.preprocessor)
        activation = getattr(classifier, "activation", None)
        self._outputs_logits = activation is None or activation in (
            keras.activations.linear,
        )

    def call(self, inputs):
        import tensorflow as tf

        preprocessor = self.classifier.preprocessor
        if tf.executing_eagerly():
            # KerasHub's BPE tokenizer has an eager Python path that splits
            # " 's" unlike its graph path (and transformers); run the graph
            # path here too, so eager calls equal the exported model.
            preprocessor = tf.function(preprocessor, autograph=False)
        features = preprocessor(inputs)
        outputs = self.classifier(features)
        if self._outputs_logits:
            outputs = keras.ops.softmax(outputs, axis=-1)
        return keras.ops.cast(outputs, "float32")

    def get_config(self):
        config = super().get_config()
        config["classifier"] = keras.saving.serialize_keras_object(self.classifier)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["classifier"] = keras.saving.deserialize_keras_object(
            config["classifier"]
        )
        return cls(**config)


def _lookup_tables(preprocessor):
    # KerasHub's BPE tokenizer keeps its vocabulary, merge ranks and cache in
    # tf.lookup tables that Keras does not track, so a SavedModel would not
    # find them; a tf.Module attribute makes them part of the saved graph.
    import tensorflow as tf

    # A first call builds the preprocessor (and the tables it will use).
    preprocessor(tf.constant(["build"]))
    module = tf.Module(name="lookup_tables")
    tokenizer = getattr(preprocessor, "tokenizer", None)
    trackable = tf.__internal__.tracking.Trackable
    # A preprocessor without a `tokenizer` (a TextVectorization) keeps its
    # tables in tracked Keras layers: nothing to add.
    for name, value in sorted((vars(tokenizer) if tokenizer else {}).items()):
        if not isinstance(value, trackable) or isinstance(value, keras.layers.Layer):
            continue
        setattr(module, name.strip("_"), value)
        # KerasHub's BPE cache is a tf.Module that skips `tf.Module.__init__`,
        # so its own table is not tracked through it: track it here.
        for inner, table in sorted(vars(value).items()):
            if isinstance(table, trackable) and not inner.startswith("_"):
                setattr(module, f"{name.strip('_')}_{inner}", table)
    return module


def export_raw_text_classifier(classifier, export_root, *, version=None, examples=None):
    """Exports `classifier` as a SavedModel whose `serving_default` takes strings.

    The signature's one argument is a `tf.string` tensor of shape `(None,)`
    named `sentences`; its one output `probabilities`, the class
    probabilities (`serve` is the same signature). Another rank fails with
    `InvalidArgumentError` naming `sentences`. The layout is
    TF Serving's (`export_root/<version>/`), written atomically by
    `kerastoolkit.export.export_saved_model`, with the tokenizer's lookup
    tables tracked one by one (Keras' model tracking does not reach them).

    Load it with `import tensorflow_text` (it registers the BPE tokenizer's
    regex ops) and `tf.saved_model.load(path)`; neither Keras, KerasHub nor
    kerastoolkit is needed.

    Args:
        classifier: a text classifier with a `preprocessor` (see
            `RawTextClassifier`).
        export_root: the model's base directory.
        version: a positive integer; by default one more than the latest.
        examples: optional NumPy array of raw sentences stored with the export
            and their in-process probabilities, for
            `kerastoolkit.testing.check_serving_examples`.

    Returns:
        The `pathlib.Path` of the version directory.
    """
    import tensorflow as tf

    from kerastoolkit.export.saved_model import export_saved_model

    model = RawTextClassifier(classifier, name="raw_text_classifier")
    model(tf.constant(["build"]))
    spec = [tf.TensorSpec([None], tf.string, name="sentences")]

    def classify(sentences):
        return {"probabilities": model.call(sentences)}

    return export_saved_model(
        model,
        export_root,
        version=version,
        endpoints={"serve": (classify, spec)},
        examples=None if examples is None else {"serving_default": examples},
        example_imports=("tensorflow_text",),
        track=list(model._lookup_tables._trackable_children().values()),
    )
