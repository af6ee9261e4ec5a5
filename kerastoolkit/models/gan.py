"""The generative adversarial network, trained by its own `train_step`."""

import contextlib

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerastoolkit.models.adversarial_model import AdversarialModel
from kerastoolkit.models.submodel_config import serialize_submodel
from kerastoolkit.training.distribution import (
    draw_for_global_batch,
    scale_loss_for_replicas,
)
from kerastoolkit.utils.argument_checks import positive_int

LOSSES = ("non_saturating", "wgan_gp")


@keras.saving.register_keras_serializable(package="kerastoolkit")
class GAN(AdversarialModel):
    """A generative adversarial network, optionally class-conditional.

    A generator `G` maps latent noise `z ~ N(0, I)` (and, when conditional, a
    class label `c`) to an image; a discriminator `D` maps an image (and `c`)
    to one logit, "real" for large values. They are trained in turn, each by
    its own optimizer, on

        non-saturating (Goodfellow et al. 2014, section 3):
            L_D = E_x[softplus(-D(x))] + E_z[softplus(D(G(z)))]
                = -E log sigmoid(D(x)) - E log(1 - sigmoid(D(G(z))))
            L_G = E_z[softplus(-D(G(z)))]  = -E log sigmoid(D(G(z)))

        WGAN-GP (Gulrajani et al. 2017), `D` a critic:
            L_D = E_z[D(G(z))] - E_x[D(x)]
                  + lambda E_xhat[(||grad_xhat D(xhat)||_2 - 1)^2],
            xhat = e x + (1 - e) G(z),  e ~ U(0, 1) per example
            L_G = -E_z[D(G(z))]

    Each `train_step` makes `discriminator_steps` discriminator updates on the
    batch (fresh noise each time) and one generator update. A conditional GAN
    (`num_classes` set) trains on `fit(images, labels)`; its fakes carry the
    labels of the real batch, so `D` must judge whether an image fits its
    label (Mirza and Osindero 2014).

    Noise is drawn from a `keras.random.SeedGenerator` for the GLOBAL batch
    and sliced per replica (`training.distribution.draw_for_global_batch`), and
    each replica's mean loss is divided by the number of replicas, so under
    `tf.distribute.MirroredStrategy` the summed gradients, and the losses, equal
    those of one device with the same seed and global batch (exactly so for
    networks without batch statistics or dropout; batch normalisation uses each
    replica's own batch).

    Two stabilisers need no argument here. A two-time-scale update rule
    (TTUR, Heusel et al. 2017) is two learning rates: one per optimizer. An
    exponential moving average of the generator's weights (Yazici et al.
    2019) is the generator optimizer's own: `Adam(..., use_ema=True,
    ema_momentum=0.99)` keeps `w_avg <- m w_avg + (1 - m) w` after each
    generator step, and `with gan.averaged_generator():` swaps the averages
    into the generator (to sample, evaluate or export) and restores the
    trained weights on exit.

    The optimizers are arguments of `compile` and are saved with the model:
    `get_compile_config` serialises both, `compile_from_config` rebuilds and
    builds them, so a loaded `.keras` file continues training where it
    stopped (Adam moments, step counts and the noise seed state included).

    Args:
        generator: a functional `keras.Model` from `(batch, latent_dim)` noise
            (and, when conditional, `(batch,)` integer labels, second input)
            to images; e.g. `dcgan_generator`.
        discriminator: a functional `keras.Model` from images (and labels) to
            `(batch, 1)` logits; e.g. `dcgan_discriminator`.
        num_classes: `None` for an unconditional GAN, or the number of classes
            of a conditional one.
        loss: `"non_saturating"` or `"wgan_gp"`.
        gradient_penalty_weight: `lambda` of WGAN-GP (unused otherwise).
        discriminator_steps: discriminator updates per generator update.
        seed: integer seed of the latent noise, or `None`.
        **kwargs: base model arguments (`name`, ...).

    Call arguments:
        inputs: noise `(batch, latent_dim)`, or `[noise, labels]` when
            conditional.
        training: passed to the generator.

    Returns:
        The generated images, the generator's output.

    Example:

    >>> gan = GAN(dcgan_generator(64), dcgan_discriminator(), seed=0)
    >>> gan.compile(
    ...     generator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...     discriminator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    ... )
    >>> gan.fit(x_train, batch_size=64, epochs=10)  # doctest: +SKIP
    >>> images = gan.sample(16, seed=1)  # doctest: +SKIP

    References:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
        Radford, Metz and Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016.
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
        Mirza and Osindero, "Conditional Generative Adversarial Nets",
        arXiv:1411.1784, 2014.
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge
        to a Local Nash Equilibrium", NeurIPS 2017.
        Yazici et al., "The Unusual Effectiveness of Averaging in GAN
        Training", ICLR 2019.
    """

    def __init__(
        self,
        generator,
        discriminator,
        num_classes=None,
        loss="non_saturating",
        gradient_penalty_weight=10.0,
        discriminator_steps=1,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, part in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(part, keras.Model):
                raise ValueError(
                    f"`{name}` must be a keras.Model, got {type(part).__name__}."
                )
        if num_classes is not None:
            positive_int("num_classes", num_classes)
            if num_classes < 2:
                raise ValueError(
                    f"`num_classes` must be None or an integer >= 2, got {num_classes}."
                )
        inputs = 1 if num_classes is None else 2
        for name, part in (("generator", generator), ("discriminator", discriminator)):
            given = len(part.inputs or ())
            if given != inputs:
                kind = "unconditional" if num_classes is None else "conditional"
                raise ValueError(
                    f"`{name}` of a {kind} GAN must be a functional model with "
                    f"{inputs} input(s), got {given}."
                )
        if loss not in LOSSES:
            raise ValueError(f"`loss` must be one of {LOSSES}, got {loss!r}.")
        if (
            isinstance(gradient_penalty_weight, bool)
            or not isinstance(gradient_penalty_weight, int | float)
            or gradient_penalty_weight < 0
        ):
            raise ValueError(
                "`gradient_penalty_weight` must be a non-negative number, got "
                f"{gradient_penalty_weight!r}."
            )
        positive_int("discriminator_steps", discriminator_steps)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` must be an integer or None, got {seed!r}.")
        self.generator = generator
        self.discriminator = discriminator
        self.num_classes = num_classes
        self.loss_name = loss
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        self.discriminator_steps = discriminator_steps
        self.seed = seed
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        self.generator_optimizer = None
        self.discriminator_optimizer = None
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.gradient_penalty_tracker = keras.metrics.Mean(name="gradient_penalty")
        # Both parts are functional models, built at construction: so is the
        # GAN (fit must not "build" it by calling it on a batch of images).
        self.built = True

    @property
    def generator_variables(self):
        """The generator's trainable variables."""
        return self.generator.trainable_variables

    @property
    def discriminator_variables(self):
        """The discriminator's trainable variables."""
        return self.discriminator.trainable_variables

    @property
    def conditional(self):
        """Whether the GAN is class-conditional."""
        return self.num_classes is not None

    @property
    def generator_averaged(self):
        """Whether the generator optimizer keeps a moving average (`use_ema`)."""
        optimizer = self.generator_optimizer
        return optimizer is not None and bool(optimizer.use_ema)

    @contextlib.contextmanager
    def averaged_generator(self):
        """Within the block, the generator holds its weights' moving average.

        Needs a generator optimizer built with `use_ema=True`. On exit the
        trained weights come back, so training continues from them. Batch
        normalisation statistics are not trainable and stay as they are.

        Yields:
            The generator.
        """
        if not self.generator_averaged:
            optimizer = self.generator_optimizer
            raise ValueError(
                "`averaged_generator` needs a compiled GAN whose generator "
                "optimizer has `use_ema=True`, got use_ema="
                f"{getattr(optimizer, 'use_ema', None)!r}."
            )
        variables = self.generator.trainable_variables
        trained = [np.array(keras.ops.convert_to_numpy(v)) for v in variables]
        self.generator_optimizer.finalize_variable_values(variables)
        try:
            yield self.generator
        finally:
            for variable, value in zip(variables, trained, strict=True):
                variable.assign(value)

    @property
    def metrics(self):
        trackers = [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.d_real_tracker,
            self.d_fake_tracker,
        ]
        if self.loss_name == "wgan_gp":
            trackers.append(self.gradient_penalty_tracker)
        return trackers

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    def latent_noise(self, num_samples, seed=None):
        """Standard-normal noise `(num_samples, latent_dim)` in the model's dtype.

        Args:
            num_samples: positive integer (or a scalar tensor).
            seed: integer seed, a `keras.random.SeedGenerator`, or `None` for
                the model's own seed generator.
        """
        return keras.random.normal(
            (num_samples, self.latent_dim),
            dtype=self.compute_dtype,
            seed=self.seed_generator if seed is None else seed,
        )

    def sample(self, num_samples, labels=None, seed=None):
        """Generates `num_samples` images from fresh noise.

        Args:
            num_samples: positive integer.
            labels: for a conditional GAN, `(num_samples,)` integer labels
                (default: 0, 1, ..., num_classes - 1 repeated).
            seed: integer seed, a `keras.random.SeedGenerator`, or `None`.

        Returns:
            The generator's images for `N(0, I)` noise, `training=False`.
        """
        positive_int("num_samples", num_samples)
        noise = self.latent_noise(num_samples, seed=seed)
        if not self.conditional:
            return self.generator(noise, training=False)
        if labels is None:
            labels = ops.mod(ops.arange(num_samples), self.num_classes)
        labels = ops.cast(labels, "int32")
        if tuple(labels.shape) != (num_samples,):
            raise ValueError(
                f"`labels` must have shape ({num_samples},), got {tuple(labels.shape)}."
            )
        return self.generator([noise, labels], training=False)

    def _inputs(self, noise, labels):
        return noise if labels is None else [noise, labels]

    def _discriminate(self, images, labels, training=True):
        return self.discriminator(self._inputs(images, labels), training=training)

    def _gradient_penalty(self, real, fake, labels):
        local = ops.shape(real)[0]
        shape = (1,) * (len(real.shape) - 1)
        mix = draw_for_global_batch(
            lambda full: keras.random.uniform(
                full, dtype=real.dtype, seed=self.seed_generator
            ),
            (local, *shape),
        )
        mixed = mix * real + (1.0 - mix) * fake
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            critic = self._discriminate(mixed, labels)
        gradient = tape.gradient(critic, mixed)
        norm = ops.sqrt(
            ops.sum(ops.reshape(ops.square(gradient), (local, -1)), axis=-1) + 1e-12
        )
        return ops.mean(ops.square(norm - 1.0))

    def discriminator_loss(self, real, noise, labels=None, training=True):
        """`L_D` and its parts on one batch, with given noise.

        Args:
            real: a batch of real images.
            noise: latent noise `(batch, latent_dim)` for the fakes.
            labels: the batch's labels (conditional GAN), else `None`.
            training: passed to both networks.

        Returns:
            `(loss, mean D(x), mean D(G(z)), gradient_penalty)`: the mean
            loss over the batch; the mean logits (critic values) of the real
            and fake images; the WGAN-GP penalty term before `lambda` (zero
            for the non-saturating loss).
        """
        fake = self.generator(self._inputs(noise, labels), training=training)
        real_logits = self._discriminate(real, labels, training)
        fake_logits = self._discriminate(fake, labels, training)
        if self.loss_name == "non_saturating":
            loss = ops.mean(ops.softplus(-real_logits)) + ops.mean(
                ops.softplus(fake_logits)
            )
            penalty = ops.zeros((), dtype=loss.dtype)
        else:
            penalty = self._gradient_penalty(real, fake, labels)
            loss = (
                ops.mean(fake_logits)
                - ops.mean(real_logits)
                + self.gradient_penalty_weight * penalty
            )
        return loss, ops.mean(real_logits), ops.mean(fake_logits), penalty

    def generator_loss(self, noise, labels=None, training=True):
        """`L_G` on one batch of noise (and labels): a scalar mean."""
        fake = self.generator(self._inputs(noise, labels), training=training)
        logits = self._discriminate(fake, labels, training)
        if self.loss_name == "non_saturating":
            return ops.mean(ops.softplus(-logits))
        return -ops.mean(logits)

    def _apply(self, optimizer, loss, variables, tape):
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables, strict=True))

    def train_step(self, data):
        if self.generator_optimizer is None:
            raise RuntimeError("Call `GAN.compile(...)` before `fit`.")
        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.conditional:
            if labels is None:
                raise ValueError(
                    "A conditional GAN trains on `fit(images, labels)`; no labels "
                    "were given."
                )
            labels = ops.cast(labels, "int32")
        else:
            labels = None
        real = ops.cast(real, self.compute_dtype)
        local = ops.shape(real)[0]

        def noise():
            return draw_for_global_batch(
                lambda full: self.latent_noise(full[0]), (local,)
            )

        for _ in range(self.discriminator_steps):
            z = noise()
            with tf.GradientTape() as tape:
                d_loss, d_real, d_fake, penalty = self.discriminator_loss(
                    real, z, labels
                )
                scaled = scale_loss_for_replicas(d_loss)
            self._apply(
                self.discriminator_optimizer,
                scaled,
                self.discriminator.trainable_variables,
                tape,
            )
        z = noise()
        with tf.GradientTape() as tape:
            g_loss = self.generator_loss(z, labels)
            scaled = scale_loss_for_replicas(g_loss)
        self._apply(
            self.generator_optimizer, scaled, self.generator.trainable_variables, tape
        )
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(d_real)
        self.d_fake_tracker.update_state(d_fake)
        if self.loss_name == "wgan_gp":
            self.gradient_penalty_tracker.update_state(penalty)
        return {metric.name: metric.result() for metric in self.metrics}

    def serving_endpoints(self, max_samples=1024):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        Images come out as `{"images": ...}`, float32 in the generator's range
        (`[0, 1]` for the sigmoid output of `dcgan_generator`).

        - `serve(noise)` (conditional: `(noise, labels)`), also exported as
          `generate_from_noise`: the images for the caller's noise `(n,
          latent_dim)` float32 (and `(n,)` int32 labels in
          `[0, num_classes - 1]`);
        - `generate(seed, n)`: two int32 scalars; draws `n` noise vectors
          with `tf.random.stateless_normal(seed=[seed, 0])`, so the same seed
          gives the same images, in any process (conditional: labels
          `0, 1, ..., num_classes - 1` repeated). `n` must be in
          `[1, max_samples]`, which bounds the work one request asks for.

        A request outside these ranges, or noise with NaN or infinite values,
        fails with `InvalidArgumentError` naming the input
        (`kerastoolkit.export.input_checks`).

        Args:
            max_samples: positive integer, the most images one `generate`
                request may ask for.

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """
        from kerastoolkit.export import input_checks

        max_samples = positive_int("max_samples", max_samples)
        dtype = self.compute_dtype
        noise_spec = tf.TensorSpec((None, self.latent_dim), dtype, name="noise")
        label_spec = tf.TensorSpec((None,), "int32", name="labels")
        num_classes = self.num_classes

        def generate(seed, n):
            n = input_checks.check_size("n", n, 1, max_samples, "max_samples")
            # Stateless: serving keeps no random state between requests.
            noise = tf.random.stateless_normal(
                tf.stack([n, self.latent_dim]), seed=tf.stack([seed, 0]), dtype=dtype
            )
            if num_classes is None:
                return {"images": self.generator(noise, training=False)}
            labels = tf.math.floormod(tf.range(n, dtype="int32"), num_classes)
            return {"images": self.generator([noise, labels], training=False)}

        def from_noise(noise, labels=None):
            if labels is None:
                return {"images": self.generator(noise, training=False)}
            labels = input_checks.check_range(
                "labels", labels, 0, num_classes - 1, "class labels"
            )
            return {"images": self.generator([noise, labels], training=False)}

        signature = [noise_spec] if num_classes is None else [noise_spec, label_spec]
        scalars = [
            tf.TensorSpec((), "int32", name="seed"),
            tf.TensorSpec((), "int32", name="n"),
        ]
        return {
            "serve": (from_noise, signature),
            "generate_from_noise": (from_noise, signature),
            "generate": (generate, scalars),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            generator=serialize_submodel(self.generator),
            discriminator=serialize_submodel(self.discriminator),
            num_classes=self.num_classes,
            loss=self.loss_name,
            gradient_penalty_weight=self.gradient_penalty_weight,
            discriminator_steps=self.discriminator_steps,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("generator", "discriminator"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)
