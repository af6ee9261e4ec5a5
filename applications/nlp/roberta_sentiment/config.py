"""Pretrain a small RoBERTa on clean local text, fine-tune it on SST-2 and MR, and
compare it with RoBERTa from scratch and the word-level baselines a user would try
(Kim's CNN from random and from local word2vec vectors, a BiLSTM)."""

import dataclasses

from applications.config_checks import check_learning_rate, check_run_fields
from kerastoolkit.utils.argument_checks import (
    boolean,
    int_in_range,
    non_negative_int,
    number_in_range,
    one_of,
    positive_int,
    rate,
    sequence_of,
)

DATASETS = ("sst2", "mr")
MODELS = ("cnn_rand", "cnn_word2vec", "bilstm", "roberta_scratch", "roberta_pretrained")


@dataclasses.dataclass
class Config:
    # Where the text data sets are ("" = KERASTOOLKIT_DATA_DIR, then the cache).
    data_dir: str = ""
    # A checkpoint to fine-tune instead of pretraining here: a KerasHub preset
    # name ("roberta_base_en", downloaded), a KerasHub preset directory, or a
    # Hugging Face RoBERTa directory (config.json, model.safetensors, vocab.json,
    # merges.txt). "" = pretrain locally (or reuse `pretrained_dir`).
    preset: str = ""
    # Where the locally pretrained preset goes ("" = <output_dir>/pretrained); a
    # directory that already holds a preset is reused, not pretrained again.
    pretrained_dir: str = ""
    # Byte-level BPE vocabulary size of the locally trained tokenizer.
    vocabulary_size: int = 8000
    # Transformer layers of the local model.
    num_layers: int = 2
    # Attention heads.
    num_heads: int = 4
    # Model width.
    hidden_dim: int = 128
    # Feed-forward width.
    intermediate_dim: int = 512
    # Longest input the position table allows (the checkpoint's sequence length).
    max_sequence_length: int = 128
    # Packed length for pretraining (most pretraining sentences are shorter).
    pretrain_sequence_length: int = 48
    # Passes over the unlabelled corpus, each with fresh masking.
    pretrain_epochs: int = 2
    # Sentences per pretraining step.
    pretrain_batch_size: int = 64
    # Peak AdamW learning rate of pretraining.
    pretrain_learning_rate: float = 5e-4
    # Use at most N corpus sentences for pretraining (0 = all, about 74,000).
    pretrain_max_sentences: int = 0
    # Fine-tuning data sets: "sst2" (official train/dev/test), "mr" (fixed split).
    datasets: tuple[str, ...] = ("sst2", "mr")
    # Models trained on each data set, every one on the same clean splits:
    # cnn_rand, cnn_word2vec (Kim's CNN from random / local word2vec vectors),
    # bilstm, roberta_scratch, roberta_pretrained.
    models: tuple[str, ...] = MODELS
    # One training run per seed and model (the intervals are over seeds).
    seeds: tuple[int, ...] = (0, 1, 2)
    # Word-level models: the most frequent words kept (ids 0/1: padding, unknown).
    word_vocabulary_size: int = 20000
    # Word-level models: words per sentence (longer ones are cut).
    word_sequence_length: int = 60
    # Word vector size of the CNN and the BiLSTM (and of word2vec).
    word_embedding_dim: int = 128
    # Kim's CNN: feature maps per filter width (widths 3, 4, 5).
    cnn_filters: int = 100
    # BiLSTM units per direction.
    lstm_units: int = 64
    # Dropout of the word-level models (Kim: 0.5).
    word_dropout: float = 0.5
    # Most epochs of the word-level models (early stopping on validation accuracy).
    word_epochs: int = 10
    # Adam learning rate of the word-level models.
    word_learning_rate: float = 1e-3
    # Sentences per step of the word-level models.
    word_batch_size: int = 50
    # Keep the word2vec vectors fixed in cnn_word2vec (Kim's CNN-static) instead
    # of fine-tuning them (CNN-non-static).
    word2vec_static: bool = False
    # Skip-gram epochs over the clean local corpus for cnn_word2vec's vectors.
    word2vec_epochs: int = 5
    # Packed length for fine-tuning (lowered from max_sequence_length).
    sequence_length: int = 64
    # Most fine-tuning epochs (early stopping on validation accuracy may stop sooner).
    epochs: int = 3
    # Sentences per fine-tuning step.
    batch_size: int = 32
    # Peak AdamW learning rate of fine-tuning (LinearWarmupDecay).
    learning_rate: float = 2e-4
    # Share of the fine-tuning steps spent warming up.
    warmup_fraction: float = 0.06
    # Decoupled weight decay (not on biases and LayerNorm).
    weight_decay: float = 0.01
    # Layer-wise learning-rate decay factor (1.0 = the same rate everywhere).
    layer_decay: float = 0.9
    # Dropout of the classification head.
    dropout: float = 0.1
    # Epochs without a better validation accuracy before stopping.
    patience: int = 1
    # Use only the first N training (and validation) sentences of each data set
    # (0 = all).
    train_size: int = 0
    # Evaluate on the first N test sentences (0 = all).
    test_size: int = 0
    # Seed of the pretraining and of the MR validation split.
    seed: int = 0
    # Keras progress output: 0 silent, 2 one line per epoch.
    verbose: int = 2
    # Where metrics, tables, plots and the pretrained preset go.
    output_dir: str = "runs/roberta_sentiment"
    # SavedModel base directory of the raw-text classifier (versions 1, 2, ...).
    export_dir: str = "saved_models/roberta_sentiment"
    # Distribution strategy name (kerastoolkit.training.distribution).
    strategy: str = "default"

    @classmethod
    def quick(cls):
        """The smallest run that shows learning beside the majority class: SST-2
        only, one seed, a 1-layer RoBERTa pretrained on 3,000 clean sentences,
        the CNN on random vectors, about a minute."""
        return cls(
            datasets=("sst2",),
            models=("cnn_rand", "roberta_scratch", "roberta_pretrained"),
            vocabulary_size=1000,
            num_layers=1,
            num_heads=2,
            hidden_dim=64,
            intermediate_dim=128,
            max_sequence_length=40,
            pretrain_sequence_length=32,
            pretrain_epochs=2,
            pretrain_max_sentences=3000,
            pretrain_learning_rate=1e-3,
            seeds=(0,),
            sequence_length=40,
            epochs=3,
            learning_rate=1e-3,
            word_vocabulary_size=4000,
            word_sequence_length=40,
            word_embedding_dim=32,
            cnn_filters=32,
            lstm_units=16,
            word_epochs=4,
            word2vec_epochs=1,
            train_size=2000,
            test_size=500,
            verbose=0,
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        # Byte-level BPE: the 256 bytes and RoBERTa's 5 special tokens first.
        int_in_range("vocabulary_size", self.vocabulary_size, 261)
        positive_int("num_layers", self.num_layers)
        positive_int("num_heads", self.num_heads)
        positive_int("hidden_dim", self.hidden_dim)
        if self.hidden_dim % self.num_heads:
            raise ValueError(
                f"`hidden_dim` must be divisible by `num_heads`={self.num_heads}, "
                f"got {self.hidden_dim!r}."
            )
        positive_int("intermediate_dim", self.intermediate_dim)
        # Packed inputs hold <s>, </s> and at least one token.
        int_in_range("max_sequence_length", self.max_sequence_length, 3)
        int_in_range(
            "pretrain_sequence_length",
            self.pretrain_sequence_length,
            3,
            self.max_sequence_length,
        )
        # With a `preset`, its own position table bounds `sequence_length`.
        int_in_range(
            "sequence_length",
            self.sequence_length,
            3,
            None if self.preset else self.max_sequence_length,
        )
        positive_int("pretrain_epochs", self.pretrain_epochs)
        positive_int("pretrain_batch_size", self.pretrain_batch_size)
        check_learning_rate("pretrain_learning_rate", self.pretrain_learning_rate)
        non_negative_int("pretrain_max_sentences", self.pretrain_max_sentences)
        sequence_of(
            "datasets",
            self.datasets,
            lambda name, value: one_of(name, value, DATASETS),
            unique=True,
        )
        sequence_of(
            "models",
            self.models,
            lambda name, value: one_of(name, value, MODELS),
            unique=True,
        )
        sequence_of("seeds", self.seeds, non_negative_int, unique=True)
        int_in_range("word_vocabulary_size", self.word_vocabulary_size, 3)
        # Kim's widest filter reads 5 words.
        int_in_range("word_sequence_length", self.word_sequence_length, 5)
        positive_int("word_embedding_dim", self.word_embedding_dim)
        positive_int("cnn_filters", self.cnn_filters)
        positive_int("lstm_units", self.lstm_units)
        rate("word_dropout", self.word_dropout)
        positive_int("word_epochs", self.word_epochs)
        check_learning_rate("word_learning_rate", self.word_learning_rate)
        positive_int("word_batch_size", self.word_batch_size)
        boolean("word2vec_static", self.word2vec_static)
        positive_int("word2vec_epochs", self.word2vec_epochs)
        positive_int("epochs", self.epochs)
        positive_int("batch_size", self.batch_size)
        check_learning_rate("learning_rate", self.learning_rate)
        rate("warmup_fraction", self.warmup_fraction)
        number_in_range("weight_decay", self.weight_decay, 0)
        number_in_range("layer_decay", self.layer_decay, 0, 1, low_open=True)
        rate("dropout", self.dropout)
        non_negative_int("patience", self.patience)
        non_negative_int("train_size", self.train_size)
        non_negative_int("test_size", self.test_size)
