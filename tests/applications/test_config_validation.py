"""Every demo's `Config` checks its own fields: its defaults and `quick()`
preset pass, and a bad value (out of range, an unknown choice, more than the
data holds, two fields that do not fit together) fails at construction with
one line naming the field, the value and what is allowed."""

import dataclasses

import pytest

from applications import runner

DEMOS = sorted(runner.discover())


def _config_class(name):
    return runner.demo_module(name, "config").Config


@pytest.mark.parametrize("name", DEMOS)
def test_defaults_and_quick_preset_are_valid(name):
    config_cls = _config_class(name)
    assert callable(getattr(config_cls, "validate", None)), name
    for quick in (False, True):
        # The runner's path: defaults or preset, then command-line values.
        config = runner.make_config(name, quick)
        assert config == (config_cls.quick() if quick else config_cls())
        config.validate()


@pytest.mark.parametrize("name", DEMOS)
def test_shared_fields_are_checked_by_every_demo(name):
    config = _config_class(name).quick()
    bad = {
        "strategy": ("bogus", "`strategy` must be "),
        "verbose": (7, "`verbose` must be an integer from 0 to "),
        "output_dir": ("", "`output_dir` must be a non-empty string"),
        "export_dir": ("", "`export_dir` must be a non-empty string"),
        "seed": (-1, "`seed` must be an integer from 0 to 4294967295, got -1."),
        "batch_size": (0, "`batch_size` must be a positive integer, got 0."),
        "epochs": (-1, "`epochs` must be a positive integer, got -1."),
        "learning_rate": (-0.1, "`learning_rate` must be a finite number >= 0"),
    }
    fields = {f.name for f in dataclasses.fields(config)}
    checked = 0
    for field, (value, message) in bad.items():
        if field not in fields:
            continue
        checked += 1
        with pytest.raises(ValueError) as raised:
            dataclasses.replace(config, **{field: value})
        assert message in str(raised.value), (field, str(raised.value))
        assert len(str(raised.value).splitlines()) == 1
    assert checked >= 4


# (demo, field values, the start of the message)
CASES = [
    ("sunspots", {"test_years": 400}, "`test_years` must be from 1 to 258: the "),
    ("sunspots", {"window": 300}, "`window` + `validation_years` + 1 must leave"),
    ("sunspots", {"max_order": 400}, "`max_order` + 2 must leave at least one"),
    ("sunspots", {"wavenet_loss": "mae"}, "`wavenet_loss` must be one of"),
    ("sunspots", {"wavenet_dilations": ()}, "`wavenet_dilations` must hold at"),
    ("mnist1d", {"train_size": 5000}, "`train_size` must be 0 (all) or from 1 to"),
    ("mnist1d", {"validation_split": 1.5}, "`validation_split` must be a finite"),
    ("mnist1d", {"clipnorm": -1.0}, "`clipnorm` must be a finite number >= 0"),
    ("fashion_mnist", {"validation_split": 1.5}, "`validation_split` must be a"),
    ("fashion_mnist", {"validation_split": 1e-5}, "`validation_split`=1e-05 holds"),
    ("fashion_mnist", {"backbone": "vgg"}, "`backbone` must be one of 'plain_cnn'"),
    ("fashion_mnist", {"pooling": "sum"}, "`pooling` must be one of 'avg'"),
    ("fashion_mnist", {"filters": (8,) * 5}, "`filters` must hold 1 to 4 filter"),
    ("fashion_mnist", {"dropout": 1.0}, "`dropout` must be in [0, 1), got 1.0."),
    ("fashion_mnist", {"time_budget_minutes": -1.0}, "`time_budget_minutes` must"),
    ("fashion_mnist", {"test_size": 20000}, "`test_size` must be 0 (all) or from"),
    ("multitask", {"labels_per_class": (5, 75)}, "`labels_per_class[1]` must be"),
    ("multitask", {"seeds": (0, 0)}, "`seeds` must not repeat an entry"),
    ("multitask", {"pairings": ("jigsaw",)}, "`pairings[0]` must be one of"),
    (
        "multitask",
        {"curve_steps": (150,)},
        "`curve_steps[0]` must be an integer from 1 to 149",
    ),
    ("multitask", {"curve_size": 0.5}, "`curve_size` must be"),
    ("multitask", {"auxiliary_size": 70000}, "`auxiliary_size` must be 0 (all)"),
    ("transfer", {"unfreeze_blocks": 4}, "`unfreeze_blocks` must be an integer"),
    ("transfer", {"pairings": ("mnist",)}, "`pairings[0]` must be one of"),
    ("transfer", {"evaluate_on": "train"}, "`evaluate_on` must be one of 'test'"),
    ("transfer", {"labels_per_class": (10, 460)}, "`labels_per_class[1]` must be"),
    (
        "transfer",
        {"curve_steps": (25, 500)},
        "`curve_steps[1]` must be an integer from 1 to ",
    ),
    ("transfer", {"curve_steps": ()}, "`curve_steps` must hold at least 1"),
    ("transfer", {"curve_size": -1}, "`curve_size` must be"),
    ("semi_supervised", {"representations": ("pca",)}, "`representations[0]` must"),
    ("semi_supervised", {"labels_per_class": (6000,)}, "`labels_per_class[0]` must"),
    ("semi_supervised", {"filters": (8,) * 5}, "`filters` must hold 1 to 4"),
    (
        "semi_supervised",
        {"representations": ("ppca",), "simclr_snapshots": (2,)},
        "`simclr_snapshots` needs 'simclr'",
    ),
    (
        "semi_supervised",
        {"representations": ("simclr",), "simclr_snapshots": (3,)},
        "`simclr_snapshots[0]` must",
    ),
    ("fashion_vae", {"validation_split": 0.0}, "`validation_split` must be a"),
    ("fashion_vae", {"latent_dim": 784}, "`latent_dim` must be an integer from 1"),
    ("fashion_vae", {"architecture": "rnn"}, "`architecture` must be one of"),
    ("dcgan", {"generator_filters": (8, 4, 2)}, "`generator_filters` must hold 1"),
    ("dcgan", {"loss": "hinge"}, "`loss` must be one of 'non_saturating'"),
    ("dcgan", {"eval_samples": 1}, "`eval_samples` must be an integer >= 2"),
    ("dcgan", {"fd_reference": "train"}, "`fd_reference` must be one of 'test'"),
    ("cyclegan", {"test_fraction": 1.0}, "`test_fraction` must be a finite number"),
    ("cyclegan", {"adversarial_loss": "hinge"}, "`adversarial_loss` must be one"),
    ("char_lm", {"bodies": ("gru",)}, "`bodies[0]` must be one of 'lstm'"),
    ("char_lm", {"train_chars": 50}, "`train_chars` must be 0 (all) or more than"),
    ("char_lm", {"temperatures": (0.0,)}, "`temperatures[0]` must be a finite"),
    ("char_lm", {"prompt": ""}, "`prompt` must be a non-empty string"),
    ("roberta_sentiment", {"num_heads": 3}, "`hidden_dim` must be divisible by"),
    ("roberta_sentiment", {"vocabulary_size": 100}, "`vocabulary_size` must be"),
    ("roberta_sentiment", {"sequence_length": 64}, "`sequence_length` must be an"),
    ("roberta_sentiment", {"datasets": ("imdb",)}, "`datasets[0]` must be one of"),
    ("roberta_sentiment", {"layer_decay": 0.0}, "`layer_decay` must be a finite"),
    ("roberta_sentiment", {"models": ("gpt",)}, "`models[0]` must be one of"),
    ("roberta_sentiment", {"word_sequence_length": 4}, "`word_sequence_length`"),
    ("translation", {"models": "rnn"}, "`models` must name some of transformer"),
    ("translation", {"seq2seq_attention": "dot"}, "`seq2seq_attention` must be"),
    ("translation", {"test_size": 2000}, "`test_size` must be 0 (all) or from 1"),
    ("translation", {"label_smoothing": 1.0}, "`label_smoothing` must be in"),
    ("word2vec", {"architecture": "glove"}, "`architecture` must be one of"),
    ("word2vec", {"max_vocab": 0}, "`max_vocab` must be a positive integer"),
    ("word2vec", {"plot_words": 1}, "`plot_words` must be an integer >= 2"),
    ("dqn_cartpole", {"gamma": 5.0}, "`gamma` must be a finite number in [0, 1]"),
    ("dqn_cartpole", {"env_id": "NoSuchEnv-v0"}, "`env_id` must be a registered"),
    ("dqn_cartpole", {"env_id": "Pendulum-v1"}, "`env_id` must have discrete"),
    ("dqn_cartpole", {"strategy": "mirrored"}, "`strategy` must be 'default', got"),
    ("dqn_cartpole", {"tau": 0.0}, "`tau` must be a finite number in (0, 1]"),
    ("dqn_cartpole", {"jit_compile": "yes"}, "`jit_compile` must be one of 'auto'"),
    (
        "dqn_cartpole",
        {"learning_rate": 0.0, "final_learning_rate": None},
        "`learning_rate` must be a finite number > 0, got 0.0.",
    ),
]


@pytest.mark.parametrize(
    ("name", "values", "message"),
    CASES,
    ids=[f"{n}-{'-'.join(v)}" for n, v, _ in CASES],
)
def test_bad_values_are_refused_at_construction(name, values, message):
    with pytest.raises(ValueError) as raised:
        dataclasses.replace(_config_class(name).quick(), **values)
    text = str(raised.value)
    assert text.startswith(message), text
    assert len(text.splitlines()) == 1
    # The runner reports the same line as a config error (exit code 2); it
    # reads an override of None as "not given".
    if None not in values.values():
        with pytest.raises(runner.ConfigError, match=f"^{name}: "):
            runner.make_config(name, quick=True, overrides=values)


def test_learning_can_be_switched_off_with_a_zero_rate():
    for name in DEMOS:
        fields = {f.name for f in dataclasses.fields(_config_class(name))}
        if "learning_rate" in fields:
            config = runner.make_config(name, True, {"learning_rate": 0.0})
            assert config.learning_rate == 0.0
