"""CycleGAN and its builders: shared checks, the losses against NumPy, fit,
resuming from `.keras`, and both translation signatures served."""

import keras
import numpy as np
import pytest
from keras import ops

from kerastoolkit.export import export_saved_model
from kerastoolkit.models.cycle_gan import (
    CycleGAN,
    patch_discriminator,
    translation_generator,
)
from kerastoolkit.testing import run_layer_checks, serving_process

SHAPE = (8, 8, 1)


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _images(count=4, seed=0):
    return np.random.default_rng(seed).uniform(size=(count, *SHAPE)).astype("float32")


def _cycle(**kwargs):
    return CycleGAN(
        translation_generator(SHAPE, filters=4, residual_blocks=1, name="g"),
        translation_generator(SHAPE, filters=4, residual_blocks=1, name="f"),
        patch_discriminator(SHAPE, (4, 8), name="d_x"),
        patch_discriminator(SHAPE, (4, 8), name="d_y"),
        **kwargs,
    )


def _compile(model):
    # No XLA: compiling the four networks' step takes longer than the few
    # steps a test runs.
    model.compile(
        keras.optimizers.Adam(2e-3, beta_1=0.5),
        keras.optimizers.Adam(2e-3, beta_1=0.5),
        jit_compile=False,
    )
    return model


def test_builders_pass_the_shared_checks(tmp_path):
    generator = translation_generator((28, 28, 1), filters=4, residual_blocks=1)
    images = np.random.default_rng(0).uniform(size=(2, 28, 28, 1)).astype("float32")
    run_layer_checks(generator, images, tmp_path, more_inputs=[images[:1].repeat(3, 0)])
    assert generator(images).shape == (2, 28, 28, 1)
    discriminator = patch_discriminator((28, 28, 1), (4, 8))
    (tmp_path / "d").mkdir()
    run_layer_checks(discriminator, images, tmp_path / "d", export=False)
    assert discriminator(images).shape == (2, 7, 7, 1)


def test_shared_checks_on_the_cycle_gan(tmp_path):
    model = _cycle()
    x = _images(3)

    def all_four(outputs):
        # G's output through D_Y, F on it through D_X: every weight of the
        # four networks reaches this loss.
        back = model.generator_f(outputs)
        return ops.sum(model.discriminator_y(outputs)) + ops.sum(
            model.discriminator_x(back) * 0.5
        )

    run_layer_checks(model, x, tmp_path, more_inputs=[_images(5)], loss_fn=all_four)


@pytest.mark.parametrize(
    "adversarial_loss, cycle_noise",
    [("lsgan", 0.0), ("non_saturating", 0.0), ("lsgan", 0.3)],
)
def test_losses_match_numpy(adversarial_loss, cycle_noise):
    model = _cycle(
        lambda_cycle=3.0,
        lambda_identity=0.5,
        adversarial_loss=adversarial_loss,
        cycle_noise=cycle_noise,
        seed=7,
    )
    x, y = _images(3, 0), _images(3, 1)
    losses = model.generator_losses(x, y, training=False)

    def run(network, images):
        return _numpy(network(images, training=False)).astype(np.float64)

    g_x, f_y = run(model.generator_g, x), run(model.generator_f, y)
    # The same seed draws the same noise: first for G(x), then for F(y).
    seeds = keras.random.SeedGenerator(7)
    noise_y, noise_x = (
        cycle_noise * _numpy(keras.random.normal(x.shape, seed=seeds)) for _ in range(2)
    )
    if not cycle_noise:
        noise_y = noise_x = 0.0
    cycle = (
        np.abs(run(model.generator_f, g_x + noise_y) - x).mean()
        + np.abs(run(model.generator_g, f_y + noise_x) - y).mean()
    )
    identity = (
        np.abs(run(model.generator_g, y) - y).mean()
        + np.abs(run(model.generator_f, x) - x).mean()
    )
    d_y_fake, d_x_fake = (
        run(model.discriminator_y, g_x),
        run(model.discriminator_x, f_y),
    )
    d_y_real, d_x_real = run(model.discriminator_y, y), run(model.discriminator_x, x)

    def softplus(t):
        return np.log1p(np.exp(t))

    if adversarial_loss == "lsgan":
        adv = ((d_y_fake - 1) ** 2).mean() + ((d_x_fake - 1) ** 2).mean()
        dis = 0.5 * (
            ((d_y_real - 1) ** 2).mean()
            + (d_y_fake**2).mean()
            + ((d_x_real - 1) ** 2).mean()
            + (d_x_fake**2).mean()
        )
    else:
        adv = softplus(-d_y_fake).mean() + softplus(-d_x_fake).mean()
        dis = 0.5 * (
            softplus(-d_y_real).mean()
            + softplus(d_y_fake).mean()
            + softplus(-d_x_real).mean()
            + softplus(d_x_fake).mean()
        )
    np.testing.assert_allclose(_numpy(losses["cycle_loss"]), cycle, rtol=1e-5)
    np.testing.assert_allclose(_numpy(losses["identity_loss"]), identity, rtol=1e-5)
    np.testing.assert_allclose(
        _numpy(losses["generator_loss"]), adv + 3.0 * cycle + 0.5 * identity, rtol=1e-5
    )
    d_loss = model.discriminator_loss(
        x, y, losses["fake_x"], losses["fake_y"], training=False
    )
    np.testing.assert_allclose(_numpy(d_loss), dis, rtol=1e-5)


@pytest.mark.parametrize("cycle_noise", [0.1])  # 0 is the noise-free special case
def test_fit_lowers_the_cycle_loss_and_resumes_identically_after_load(
    tmp_path, cycle_noise
):
    # With noise on the cycle path, the resumed run must draw the same noise:
    # the seed generator's state is saved with the weights.
    model = _compile(_cycle(lambda_identity=0.0, cycle_noise=cycle_noise, seed=5))
    x = _images(16, 0)
    y = 1.0 - _images(16, 1)
    history = model.fit(x, y, batch_size=8, epochs=8, shuffle=False, verbose=0).history
    assert set(history) == {
        "generator_loss",
        "discriminator_loss",
        "adversarial_loss_g",
        "adversarial_loss_f",
        "cycle_loss",
        "identity_loss",
    }
    assert history["identity_loss"] == [0.0] * 8
    assert history["cycle_loss"][-1] < 0.9 * history["cycle_loss"][0]
    path = tmp_path / "cycle.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is CycleGAN and loaded.lambda_identity == 0.0
    assert loaded.cycle_noise == cycle_noise
    assert int(loaded.generator_optimizer.iterations.numpy()) == 16
    first = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    second = loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    for name, values in first.items():
        np.testing.assert_allclose(second[name], values, rtol=1e-5, atol=1e-6)


def _content_model():
    """A small frozen-to-be classifier of both domains' images: 3 classes."""
    inputs = keras.Input(SHAPE)
    hidden = keras.layers.Flatten()(inputs)
    # Large weights: confident, image-dependent probabilities to agree with.
    outputs = keras.layers.Dense(
        3,
        activation="softmax",
        kernel_initializer=keras.initializers.RandomNormal(stddev=1.0),
    )(hidden)
    return keras.Model(inputs, outputs, name="content")


def test_content_term_matches_numpy_and_stays_frozen(tmp_path):
    content = _content_model()
    model = _cycle(lambda_cycle=2.0, lambda_identity=0.5, content_model=content)
    model.lambda_content = 3.0
    x, y = _images(3, 0), _images(3, 1)
    losses = model.generator_losses(x, y, training=False)
    without = _cycle(lambda_cycle=2.0, lambda_identity=0.5)
    for network in ("generator_g", "generator_f", "discriminator_x", "discriminator_y"):
        getattr(without, network).set_weights(getattr(model, network).get_weights())
    plain = without.generator_losses(x, y, training=False)

    def probabilities(images):
        return _numpy(content(images)).astype(np.float64)

    def cross_entropy(source, translated):
        return np.mean(
            -np.sum(probabilities(source) * np.log(probabilities(translated)), -1)
        )

    expected = cross_entropy(x, _numpy(losses["fake_y"])) + cross_entropy(
        y, _numpy(losses["fake_x"])
    )
    np.testing.assert_allclose(_numpy(losses["content_loss"]), expected, rtol=1e-5)
    np.testing.assert_allclose(
        _numpy(losses["generator_loss"]),
        _numpy(plain["generator_loss"]) + 3.0 * expected,
        rtol=1e-5,
    )
    assert "content_loss" not in plain
    # Frozen: fit moves the generators, not the content model; and the term
    # is learnt: after the same steps from the same weights, the content
    # model agrees with the sources' classes on this model's translations
    # better than on those of the model trained without the term.
    before = [w.copy() for w in content.get_weights()]
    _compile(model)
    _compile(without)
    history = model.fit(x, y, batch_size=3, epochs=10, verbose=0).history
    without.fit(x, y, batch_size=3, epochs=10, verbose=0)
    assert history["content_loss"][-1] < history["content_loss"][0]
    for a, b in zip(before, content.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    trained = model.generator_losses(x, y, training=False)
    baseline = without.generator_losses(x, y, training=False)
    assert (
        cross_entropy(x, _numpy(trained["fake_y"]))
        + cross_entropy(y, _numpy(trained["fake_x"]))
    ) < 0.8 * (
        cross_entropy(x, _numpy(baseline["fake_y"]))
        + cross_entropy(y, _numpy(baseline["fake_x"]))
    )
    path = tmp_path / "cycle.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.lambda_content == 3.0 and not loaded.content_model.trainable
    np.testing.assert_allclose(
        _numpy(loaded.generator_losses(x, y, training=False)["content_loss"]),
        _numpy(model.generator_losses(x, y, training=False)["content_loss"]),
        rtol=1e-5,
    )
    with pytest.raises(ValueError, match="`content_model` must be a functional"):
        _cycle(content_model="classifier")
    with pytest.raises(ValueError, match="`lambda_content` must be a non-negative"):
        _cycle(content_model=content, lambda_content=-1)


def test_translate_signatures_serve_without_kerastoolkit(tmp_path):
    model = _cycle()
    x, y = _images(3, 0), _images(5, 1)
    path = export_saved_model(model, tmp_path, endpoints=model.serving_endpoints())
    server = serving_process()
    (to_y,) = server.serve(path, [x], signature="translate_x_to_y")
    np.testing.assert_allclose(to_y, _numpy(model.translate_x_to_y(x)), atol=1e-5)
    (to_x,) = server.serve(path, [y], signature="translate_y_to_x")
    np.testing.assert_allclose(to_x, _numpy(model.translate_y_to_x(y)), atol=1e-5)
    (default,) = server.serve(path, [x])
    np.testing.assert_allclose(default, to_y, atol=1e-6)


def test_bad_arguments_are_named():
    g, d = translation_generator(SHAPE, 4, 0), patch_discriminator(SHAPE, (4,))
    with pytest.raises(ValueError, match="`adversarial_loss` must be one of"):
        CycleGAN(g, g, d, d, adversarial_loss="wgan")
    with pytest.raises(ValueError, match="`lambda_cycle` must be a non-negative"):
        CycleGAN(g, g, d, d, lambda_cycle=-1)
    with pytest.raises(ValueError, match="`cycle_noise` must be a non-negative"):
        CycleGAN(g, g, d, d, cycle_noise=-0.1)
    with pytest.raises(ValueError, match="`seed` must be an integer or None"):
        CycleGAN(g, g, d, d, seed=1.5)
    with pytest.raises(ValueError, match="`discriminator_y` must be a functional"):
        CycleGAN(g, g, d, "d")
    with pytest.raises(ValueError, match="even sides"):
        translation_generator((7, 7, 1))
    with pytest.raises(ValueError, match="`residual_blocks` must be an integer"):
        translation_generator(SHAPE, residual_blocks=-1)
    model = _compile(CycleGAN(g, g, d, d))
    with pytest.raises(ValueError, match="no Y images"):
        model.fit(_images(), batch_size=2, epochs=1, verbose=0)


@pytest.mark.parametrize("cycle_noise", [0.2])  # the noise path covers the no-noise one
def test_mirrored_strategy_gives_the_single_device_losses(cycle_noise):
    """Two replicas, global batch 8 (4 each): the same losses and generator
    weights as one device, to 1e-5 (float32 sums in another order). Noise on
    the cycle path is drawn for the global batch: each example gets the noise
    it gets on one device."""
    from kerastoolkit.training.distribution import make_strategy, split_cpu

    x, y = _images(16, 0), 1.0 - _images(16, 1)
    results = {}
    for name in ("default", "mirrored"):
        strategy = make_strategy(
            name, devices=split_cpu(2) if name == "mirrored" else None
        )
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = _cycle(cycle_noise=cycle_noise, seed=3)
            # SGD, not Adam: Adam turns float32 rounding in a gradient that is
            # zero in exact arithmetic (a bias before a normalisation) into a
            # full-size step, so weights would differ where the maths does not.
            model.compile(
                keras.optimizers.SGD(0.05),
                keras.optimizers.SGD(0.05),
                jit_compile=False,
            )
        history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        results[name] = (
            history.history,
            [_numpy(w) for w in model.generator_g.weights],
        )
    single, mirrored = results["default"], results["mirrored"]
    for key, values in single[0].items():
        np.testing.assert_allclose(
            mirrored[0][key], values, rtol=1e-5, atol=1e-5, err_msg=key
        )
    for a, b in zip(single[1], mirrored[1], strict=True):
        np.testing.assert_allclose(b, a, atol=1e-5)
