"""GAN and the DCGAN builders: shared checks, the losses against NumPy, fit,
resuming from `.keras`, MirroredStrategy parity, serving without kerastoolkit."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from kerastoolkit.export import export_saved_model
from kerastoolkit.models.dcgan_builders import dcgan_discriminator, dcgan_generator
from kerastoolkit.models.gan import GAN
from kerastoolkit.testing import run_layer_checks, serving_process
from kerastoolkit.training.distribution import make_strategy, split_cpu

SHAPE = (8, 8, 1)
LATENT = 4


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _images(count=32, seed=0):
    return np.random.default_rng(seed).uniform(size=(count, *SHAPE)).astype("float32")


def _gan(
    num_classes=None,
    loss="non_saturating",
    batch_norm=False,
    seed=3,
    spectral_norm=False,
    **kwargs,
):
    return GAN(
        dcgan_generator(
            LATENT, SHAPE, (8, 4), num_classes=num_classes, batch_norm=batch_norm
        ),
        dcgan_discriminator(
            SHAPE,
            (4, 8),
            num_classes=num_classes,
            dropout=0.0,
            spectral_norm=spectral_norm,
        ),
        num_classes=num_classes,
        loss=loss,
        seed=seed,
        **kwargs,
    )


def _compile(gan, ema_momentum=None):
    ema = (
        {} if ema_momentum is None else {"use_ema": True, "ema_momentum": ema_momentum}
    )
    gan.compile(
        generator_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5, **ema),
        discriminator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    return gan


def _noise(count=3, seed=1):
    return (
        np.random.default_rng(seed).standard_normal((count, LATENT)).astype("float32")
    )


def _both_networks_loss(gan, labels=None):
    # The generator's images through the discriminator: every weight of both
    # networks reaches this loss.
    def loss(images):
        inputs = images if labels is None else [images, ops.convert_to_tensor(labels)]
        return ops.sum(gan.discriminator(inputs) * 0.7) + ops.sum(images * 0.3)

    return loss


def test_shared_checks_unconditional(tmp_path):
    gan = _gan(batch_norm=True)
    run_layer_checks(
        gan,
        _noise(),
        tmp_path,
        more_inputs=[_noise(5)],
        loss_fn=_both_networks_loss(gan),
    )


def test_shared_checks_conditional(tmp_path):
    gan = _gan(num_classes=3)
    labels = np.array([0, 2, 1], "int32")
    run_layer_checks(
        gan,
        [_noise(), labels],
        tmp_path,
        more_inputs=[[_noise(4), np.array([1, 1, 0, 2], "int32")]],
        loss_fn=_both_networks_loss(gan, labels),
    )


@pytest.mark.parametrize(
    "latent, shape, filters", [(6, (28, 28, 1), (8, 4)), (6, (32, 32, 3), (8, 6, 4))]
)
def test_dcgan_builders_pass_the_shared_checks(tmp_path, latent, shape, filters):
    generator = dcgan_generator(latent, shape, filters)
    noise = np.random.default_rng(0).standard_normal((2, latent)).astype("float32")
    run_layer_checks(generator, noise, tmp_path, more_inputs=[noise[:1].repeat(3, 0)])
    assert generator(noise).shape == (2, *shape)
    discriminator = dcgan_discriminator(
        shape, tuple(reversed(filters)), layer_norm=True
    )
    images = np.random.default_rng(1).uniform(size=(2, *shape)).astype("float32")
    (tmp_path / "d").mkdir()
    run_layer_checks(discriminator, images, tmp_path / "d")
    assert discriminator(images).shape == (2, 1)


def test_conditional_builders_use_the_labels(tmp_path):
    generator = dcgan_generator(LATENT, SHAPE, (8, 4), num_classes=3)
    discriminator = dcgan_discriminator(SHAPE, (4,), num_classes=3, dropout=0.0)
    noise = np.repeat(_noise(1), 3, axis=0)
    labels = np.array([0, 1, 2], "int32")
    images = _numpy(generator([noise, labels], training=False))
    # Same noise, different labels: different images.
    assert np.abs(images[0] - images[1]).max() > 1e-4
    run_layer_checks(discriminator, [images, labels], tmp_path)
    logits = _numpy(discriminator([np.repeat(images[:1], 3, 0), labels]))
    assert np.ptp(logits) > 1e-5


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_projection_discriminator_matches_numpy(tmp_path, spectral_norm):
    """D(x, c) = w . phi(x) + b + E[c] . phi(x), phi the flattened features."""
    discriminator = dcgan_discriminator(
        SHAPE, (4, 8), num_classes=3, dropout=0.0, spectral_norm=spectral_norm
    )
    images, labels = _images(5), np.array([0, 1, 2, 2, 0], "int32")
    run_layer_checks(discriminator, [images, labels], tmp_path)
    features = keras.Model(
        discriminator.inputs, discriminator.get_layer("flatten").output
    )
    phi = _numpy(features([images, labels]))
    logit = discriminator.get_layer("logit_sn" if spectral_norm else "logit")
    if spectral_norm:
        logit = logit.layer
    kernel, bias = (_numpy(w) for w in logit.weights)
    table = _numpy(discriminator.get_layer("class_embedding").embeddings)
    expected = phi @ kernel + bias + np.sum(table[labels] * phi, -1, keepdims=True)
    np.testing.assert_allclose(
        _numpy(discriminator([images, labels])), expected, rtol=1e-5, atol=1e-6
    )


def test_label_map_discriminator_passes_the_shared_checks(tmp_path):
    discriminator = dcgan_discriminator(
        SHAPE, (4, 8), num_classes=3, dropout=0.0, conditioning="label_map"
    )
    labels = np.array([0, 1, 2], "int32")
    images = np.repeat(_images(1), 3, 0)
    run_layer_checks(discriminator, [images, labels], tmp_path)
    assert "class_embedding" not in [layer.name for layer in discriminator.layers]
    assert np.ptp(_numpy(discriminator([images, labels]))) > 1e-5


def test_spectral_norm_makes_each_kernel_one_lipschitz():
    """Training calls divide each kernel by its power-iteration estimate of the
    largest singular value: after a few, that value is 1 (NumPy's SVD)."""
    discriminator = dcgan_discriminator(SHAPE, (4, 8), dropout=0.0, spectral_norm=True)
    for layer in discriminator.layers:
        if isinstance(layer, keras.layers.SpectralNormalization):
            layer.layer.kernel.assign(layer.layer.kernel * 7.0)
    images = _images(4)
    for _ in range(30):
        discriminator(images, training=True)
    wrapped = [
        layer
        for layer in discriminator.layers
        if isinstance(layer, keras.layers.SpectralNormalization)
    ]
    assert [layer.name for layer in wrapped] == [
        "block1_conv_sn",
        "block2_conv_sn",
        "logit_sn",
    ]
    for layer in wrapped:
        kernel = _numpy(layer.layer.kernel)
        sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)
        assert sigma[0] == pytest.approx(1.0, abs=1e-3), layer.name
    # Inference leaves the kernels alone.
    before = [_numpy(w) for w in discriminator.weights]
    discriminator(images * 3.0, training=False)
    for a, b in zip(before, discriminator.weights, strict=True):
        np.testing.assert_array_equal(a, _numpy(b))


def test_averaged_generator_holds_the_moving_average_and_restores(tmp_path):
    """With `use_ema`, the generator optimizer's average follows
    w_avg <- m w_avg + (1 - m) w after each generator step (w_avg = w after
    the first); `averaged_generator` swaps it in and the trained weights back."""
    gan = _compile(_gan(), ema_momentum=0.6)
    steps = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append([_numpy(w) for w in gan.generator.trainable_weights])

    gan.fit(_images(), batch_size=8, epochs=1, verbose=0, callbacks=[Record()])
    expected = steps[0]
    for weights in steps[1:]:
        expected = [0.6 * a + 0.4 * w for a, w in zip(expected, weights, strict=True)]
    trained = [_numpy(w) for w in gan.generator.trainable_weights]
    noise = _noise()
    with gan.averaged_generator() as generator:
        for a, w in zip(expected, generator.trainable_weights, strict=True):
            np.testing.assert_allclose(_numpy(w), a, rtol=1e-5, atol=1e-6)
        averaged_images = _numpy(gan(noise))
    for a, w in zip(trained, gan.generator.trainable_weights, strict=True):
        np.testing.assert_array_equal(_numpy(w), a)
    assert np.abs(averaged_images - _numpy(gan(noise))).max() > 1e-6
    # The average is optimizer state: it survives a `.keras` round trip.
    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    with loaded.averaged_generator():
        np.testing.assert_allclose(_numpy(loaded(noise)), averaged_images, atol=1e-6)
    with pytest.raises(ValueError, match="use_ema=True"):
        with _compile(_gan()).averaged_generator():
            pass


def test_non_saturating_losses_match_numpy():
    gan = _gan()
    real, noise = _images(4), _noise(4)
    d_loss, d_real, d_fake, penalty = gan.discriminator_loss(
        real, noise, training=False
    )
    fake = _numpy(gan.generator(noise, training=False))
    r = _numpy(gan.discriminator(real)).astype(np.float64)
    f = _numpy(gan.discriminator(fake)).astype(np.float64)

    def sigmoid(t):
        return 1.0 / (1.0 + np.exp(-t))

    expected = -np.mean(np.log(sigmoid(r))) - np.mean(np.log(1.0 - sigmoid(f)))
    np.testing.assert_allclose(_numpy(d_loss), expected, rtol=1e-5)
    np.testing.assert_allclose(_numpy(d_real), r.mean(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_numpy(d_fake), f.mean(), rtol=1e-5, atol=1e-7)
    assert float(_numpy(penalty)) == 0.0
    g_loss = gan.generator_loss(noise, training=False)
    np.testing.assert_allclose(_numpy(g_loss), -np.mean(np.log(sigmoid(f))), rtol=1e-5)


def test_gradient_penalty_of_a_linear_critic_is_known():
    """D(x) = w . x + b has gradient w everywhere: penalty (||w|| - 1)^2."""
    critic = keras.Sequential(
        [keras.Input(SHAPE), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    gan = GAN(dcgan_generator(LATENT, SHAPE, (8, 4)), critic, loss="wgan_gp", seed=0)
    w = _numpy(critic.layers[-1].kernel).ravel()
    real, noise = _images(5), _noise(5)
    loss, d_real, d_fake, penalty = gan.discriminator_loss(real, noise, training=False)
    np.testing.assert_allclose(
        _numpy(penalty), (np.linalg.norm(w) - 1.0) ** 2, rtol=1e-4
    )
    np.testing.assert_allclose(
        _numpy(loss),
        _numpy(d_fake) - _numpy(d_real) + 10.0 * _numpy(penalty),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        _numpy(gan.generator_loss(noise, training=False)), -_numpy(d_fake), rtol=1e-5
    )


@pytest.mark.parametrize("loss", ["non_saturating", "wgan_gp"])
def test_fit_reports_the_trackers_and_updates_both_networks(loss):
    gan = _compile(_gan(loss=loss, discriminator_steps=2 if loss == "wgan_gp" else 1))
    before_g = [_numpy(w) for w in gan.generator.trainable_weights]
    before_d = [_numpy(w) for w in gan.discriminator.trainable_weights]
    history = gan.fit(_images(), batch_size=8, epochs=2, verbose=0).history
    expected = {"d_loss", "g_loss", "d_real", "d_fake"}
    if loss == "wgan_gp":
        expected.add("gradient_penalty")
    assert set(history) == expected
    assert all(np.isfinite(v).all() for v in history.values())
    for before, part in ((before_g, gan.generator), (before_d, gan.discriminator)):
        for b, w in zip(before, part.trainable_weights, strict=True):
            if loss == "wgan_gp" and w.path == "logit/bias":
                # D(fake) - D(real) and the penalty do not depend on the
                # critic's output bias: it gets no gradient under WGAN-GP.
                assert np.abs(b - _numpy(w)).max() == 0.0
                continue
            assert np.abs(b - _numpy(w)).max() > 0.0, w.path
    # 4 batches x 2 epochs; WGAN-GP updates the critic twice per step.
    assert int(gan.generator_optimizer.iterations.numpy()) == 8
    assert int(gan.discriminator_optimizer.iterations.numpy()) == (
        16 if loss == "wgan_gp" else 8
    )


def test_gan_learns_a_one_dimensional_gaussian():
    """A tiny MLP GAN moves its samples' mean and spread towards N(3, 0.5^2)."""
    generator = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(16, "relu"), keras.layers.Dense(1)]
    )
    discriminator = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(16, "relu"), keras.layers.Dense(1)]
    )
    gan = GAN(generator, discriminator, seed=0)
    gan.compile(
        keras.optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5)
    )
    data = (3.0 + 0.5 * np.random.default_rng(0).standard_normal((2048, 1))).astype(
        "float32"
    )
    gan.fit(data, batch_size=128, epochs=12, verbose=0)
    samples = _numpy(gan.sample(2000, seed=5)).ravel()
    # Before training the samples have mean -0.23 and spread 0.45.
    assert abs(samples.mean() - 3.0) < 0.25
    assert 0.3 < samples.std() < 0.7


def test_resumed_training_is_identical_after_keras_load(tmp_path):
    gan = _compile(_gan(batch_norm=True))
    x = _images()
    gan.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is GAN
    assert (
        loaded.generator_optimizer.get_config() == gan.generator_optimizer.get_config()
    )
    assert int(loaded.discriminator_optimizer.iterations.numpy()) == 4
    np.testing.assert_array_equal(
        _numpy(loaded.seed_generator.state), _numpy(gan.seed_generator.state)
    )
    first = gan.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    second = loaded.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    for name, values in first.items():
        np.testing.assert_allclose(second[name], values, rtol=1e-5, atol=1e-6)
    for a, b in zip(gan.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=1e-6)


@pytest.mark.parametrize("stabilised", [False, True])
def test_mirrored_strategy_gives_the_single_device_losses(stabilised):
    """Two replicas, global batch 16 (8 each): the same losses and weights as one
    device, to 1e-5 (only the order of float32 sums differs). WGAN-GP with two
    critic steps draws noise three times and the penalty's mixing weights
    twice per step: every draw must be sliced per replica. Stabilised: a
    conditional GAN with a spectrally normalised projection discriminator and
    a moving average of the generator (its averaged weights compared too)."""
    x = _images()
    labels = np.arange(len(x), dtype="int32") % 3
    results = {}
    for name in ("default", "mirrored"):
        strategy = make_strategy(
            name, devices=split_cpu(2) if name == "mirrored" else None
        )
        with strategy.scope():
            keras.utils.set_random_seed(0)
            if stabilised:
                gan = _compile(
                    _gan(num_classes=3, spectral_norm=True), ema_momentum=0.5
                )
            else:
                gan = _compile(_gan(loss="wgan_gp", discriminator_steps=2))
        history = gan.fit(
            x,
            labels if stabilised else None,
            batch_size=16,
            epochs=1,
            shuffle=False,
            verbose=0,
        ).history
        weights = [_numpy(w) for w in gan.generator.weights + gan.discriminator.weights]
        if stabilised:
            with gan.averaged_generator() as generator:
                weights += [_numpy(w) for w in generator.weights]
        results[name] = (history, weights)
    assert make_strategy("mirrored", devices=split_cpu(2)).num_replicas_in_sync == 2
    single, mirrored = results["default"], results["mirrored"]
    for name, values in single[0].items():
        np.testing.assert_allclose(mirrored[0][name], values, rtol=1e-5, atol=1e-5)
    for a, b in zip(single[1], mirrored[1], strict=True):
        np.testing.assert_allclose(b, a, atol=1e-5)


def test_sample_is_seeded_and_conditional_sample_takes_labels():
    gan = _gan(num_classes=3)
    a = _numpy(gan.sample(4, seed=7))
    np.testing.assert_array_equal(a, _numpy(gan.sample(4, seed=7)))
    assert a.shape == (4, *SHAPE)
    assert 0.0 <= a.min() and a.max() <= 1.0
    labelled = _numpy(gan.sample(4, labels=np.array([0, 1, 2, 0]), seed=7))
    np.testing.assert_allclose(labelled, a, atol=1e-6)  # default labels i % 3
    with pytest.raises(ValueError, match="`labels` must have shape"):
        gan.sample(4, labels=np.array([0, 1]))
    conditional = _compile(gan)
    history = conditional.fit(
        _images(), np.arange(32) % 3, batch_size=8, epochs=1, verbose=0
    )
    assert np.isfinite(history.history["d_loss"][0])
    with pytest.raises(ValueError, match="no labels"):
        conditional.fit(_images(), batch_size=8, epochs=1, verbose=0)


@pytest.mark.parametrize("num_classes", [None, 3])
def test_generate_signatures_serve_without_kerastoolkit(tmp_path, num_classes):
    gan = _gan(num_classes=num_classes, batch_norm=True)
    _compile(gan).fit(
        _images(),
        None if num_classes is None else np.arange(32) % 3,
        batch_size=8,
        epochs=1,
        verbose=0,
    )
    noise = _noise(5)
    labels = np.array([0, 1, 2, 0, 1], "int32")
    path = export_saved_model(gan, tmp_path, endpoints=gan.serving_endpoints())
    server = serving_process()
    inputs = [noise] if num_classes is None else [noise, labels]
    expected = _numpy(gan(inputs[0] if num_classes is None else inputs, training=False))
    named = (
        {"noise": noise} if num_classes is None else {"noise": noise, "labels": labels}
    )
    for signature in ("serving_default", "generate_from_noise"):
        (images,) = server.serve(path, named, signature=signature)
        assert server.last_output_names == ["images"]
        np.testing.assert_allclose(images, expected, atol=1e-5)

    def generate(seed):
        request = {"seed": np.array(seed, "int32"), "n": np.array(5, "int32")}
        return server.serve(path, request, signature="generate")[0]

    first, again, other = generate(11), generate(11), generate(12)
    assert first.shape == (5, *SHAPE)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-4
    drawn = tf.random.stateless_normal((5, LATENT), seed=[11, 0]).numpy()
    inputs = drawn if num_classes is None else [drawn, labels]
    np.testing.assert_allclose(first, _numpy(gan(inputs, training=False)), atol=1e-5)


def test_bad_arguments_are_named():
    generator, discriminator = (
        dcgan_generator(LATENT, SHAPE, (8, 4)),
        dcgan_discriminator(SHAPE, (4,)),
    )
    with pytest.raises(ValueError, match="`loss` must be one of"):
        GAN(generator, discriminator, loss="hinge")
    with pytest.raises(ValueError, match="`discriminator_steps` must be a positive"):
        GAN(generator, discriminator, discriminator_steps=0)
    with pytest.raises(ValueError, match="`generator` must be a keras.Model"):
        GAN("generator", discriminator)
    with pytest.raises(ValueError, match="conditional GAN must be a functional model"):
        GAN(generator, discriminator, num_classes=3)
    with pytest.raises(ValueError, match="`gradient_penalty_weight`"):
        GAN(generator, discriminator, gradient_penalty_weight=-1)
    with pytest.raises(ValueError, match="divisible by 2\\*\\*len\\(filters\\)"):
        dcgan_generator(8, (28, 28, 1), (64, 32, 16))
    with pytest.raises(ValueError, match="`latent_dim` must be a positive integer"):
        dcgan_generator(-3)
    with pytest.raises(ValueError, match="`dropout` must be in"):
        dcgan_discriminator(dropout=1.5)
    gan = GAN(generator, discriminator)
    with pytest.raises(ValueError, match="takes no `loss`"):
        gan.compile(loss="mse")
    with pytest.raises(RuntimeError, match="compile"):
        gan.train_step((_images(2),))
