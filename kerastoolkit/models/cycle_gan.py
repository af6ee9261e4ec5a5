"""CycleGAN: unpaired image-to-image translation with two GANs and cycle losses."""

import keras
import tensorflow as tf
from keras import ops

from kerastoolkit.models.adversarial_model import AdversarialModel
from kerastoolkit.models.submodel_config import serialize_submodel
from kerastoolkit.training.distribution import (
    draw_for_global_batch,
    scale_loss_for_replicas,
)
from kerastoolkit.utils.argument_checks import non_negative_number

ADVERSARIAL_LOSSES = ("lsgan", "non_saturating")


def translation_generator(
    image_shape=(28, 28, 1),
    filters=32,
    residual_blocks=2,
    output_activation="sigmoid",
    name="translation_generator",
):
    """A small CycleGAN generator: downsample, residual blocks, upsample.

        h = ReLU(IN(Conv_7x7(x, f)))                  full resolution
        h = ReLU(IN(Conv_3x3/2(h, 2f)))               half resolution
        h = h + IN(Conv_3x3(ReLU(IN(Conv_3x3(h)))))   x residual_blocks
        h = ReLU(IN(ConvTranspose_3x3/2(h, f)))       full resolution
        y = act(Conv_7x7(h, channels))

    `IN` is instance normalisation (`GroupNormalization(groups=-1)`), as in
    Zhu et al.; the network is the paper's ResNet generator with one
    down/upsampling step instead of two, sized for 28x28 images.

    Args:
        image_shape: `(height, width, channels)`, height and width even.
        filters: channels at full resolution (twice as many at half).
        residual_blocks: residual blocks at half resolution.
        output_activation: `"sigmoid"` for images in [0, 1].
        name: the model's name.

    Returns:
        A functional `keras.Model` from images to images of the same shape.

    References:
        Zhu et al., "Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks", ICCV 2017, appendix 7.2.
    """
    shape = tuple(image_shape)
    if len(shape) != 3 or shape[0] % 2 or shape[1] % 2:
        raise ValueError(
            f"`image_shape` must be (height, width, channels) with even sides, "
            f"got {shape!r}."
        )
    for arg, value, low in (
        ("filters", filters, 1),
        ("residual_blocks", residual_blocks, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"`{arg}` must be an integer >= {low}, got {value!r}.")

    def norm(label):
        return keras.layers.GroupNormalization(groups=-1, name=f"{label}_in")

    images = keras.Input(shape, name="images")
    x = keras.layers.Conv2D(filters, 7, padding="same", name="stem_conv")(images)
    x = keras.layers.ReLU(name="stem_relu")(norm("stem")(x))
    x = keras.layers.Conv2D(
        2 * filters, 3, strides=2, padding="same", name="down_conv"
    )(x)
    x = keras.layers.ReLU(name="down_relu")(norm("down")(x))
    for index in range(1, residual_blocks + 1):
        h = keras.layers.Conv2D(
            2 * filters, 3, padding="same", name=f"block{index}_conv1"
        )(x)
        h = keras.layers.ReLU(name=f"block{index}_relu")(norm(f"block{index}_1")(h))
        h = keras.layers.Conv2D(
            2 * filters, 3, padding="same", name=f"block{index}_conv2"
        )(h)
        x = keras.layers.Add(name=f"block{index}_add")([x, norm(f"block{index}_2")(h)])
    x = keras.layers.Conv2DTranspose(
        filters, 3, strides=2, padding="same", name="up_deconv"
    )(x)
    x = keras.layers.ReLU(name="up_relu")(norm("up")(x))
    outputs = keras.layers.Conv2D(
        shape[-1],
        7,
        padding="same",
        activation=output_activation,
        dtype="float32",
        name="output_conv",
    )(x)
    return keras.Model(images, outputs, name=name)


def patch_discriminator(
    image_shape=(28, 28, 1), filters=(32, 64), name="patch_discriminator"
):
    """A PatchGAN discriminator: one logit per overlapping image patch.

        h_i = LeakyReLU_0.2(IN(Conv_4x4/2(h_{i-1}, filters[i])))   (no IN first)
        D   = Conv_3x3(h, 1)          a (H / 2^k, W / 2^k, 1) map of logits

    Args:
        image_shape: `(height, width, channels)`.
        filters: channels of each stride-2 convolution.
        name: the model's name.

    Returns:
        A functional `keras.Model` from images to a map of logits.

    References:
        Isola et al., "Image-to-Image Translation with Conditional
        Adversarial Networks", CVPR 2017 (PatchGAN).
    """
    filters = tuple(filters)
    if not filters or any(
        isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in filters
    ):
        raise ValueError(
            "`filters` must be a non-empty tuple of positive integers, got "
            f"{filters!r}."
        )
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    for index, count in enumerate(filters, start=1):
        x = keras.layers.Conv2D(
            count, 4, strides=2, padding="same", name=f"block{index}_conv"
        )(x)
        if index > 1:
            x = keras.layers.GroupNormalization(groups=-1, name=f"block{index}_in")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"block{index}_leaky_relu")(x)
    logits = keras.layers.Conv2D(
        1, 3, padding="same", dtype="float32", name="patch_logits"
    )(x)
    return keras.Model(images, logits, name=name)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class CycleGAN(AdversarialModel):
    """Unpaired translation between two image domains X and Y.

    Two generators, `G: X -> Y` and `F: Y -> X`, and two discriminators,
    `D_Y` (real Y vs `G(x)`) and `D_X` (real X vs `F(y)`), trained on

        L_gen = adv(D_Y(G(x))) + adv(D_X(F(y)))
                + lambda_cycle    (|F(G(x) + n) - x|_1 + |G(F(y) + n') - y|_1)
                + lambda_identity (|G(y) - y|_1 + |F(x) - x|_1)
                + lambda_content  (H(c(x), c(G(x))) + H(c(y), c(F(y))))
        L_dis = 1/2 [dadv(D_Y(y), D_Y(G(x))) + dadv(D_X(x), D_X(F(y)))]

    where, for logits `r` of real and `f` of translated images,

        lsgan (Mao et al. 2017, the CycleGAN paper's choice):
            adv(f) = mean (f - 1)^2,   dadv(r, f) = mean (r - 1)^2 + mean f^2
        non_saturating:
            adv(f) = mean softplus(-f),
            dadv(r, f) = mean softplus(-r) + mean softplus(f)

    `|.|_1` is the mean absolute error per pixel; `n, n' ~ N(0, sigma^2)` per
    pixel with `sigma = cycle_noise` (0 by default: no noise). The noise is
    a remedy for steganography (Chu et al. 2017): a cycle can be closed by
    hiding the source in low-amplitude patterns of the translation instead
    of drawing the content; noise on the cycle path drowns such patterns, so
    the content must be carried by what survives it. Noise is drawn for the
    global batch (sliced per replica), like `GAN`'s.

    The content term is off unless a `content_model` is given: a frozen
    model `c` from images of either domain to class probabilities, and
    `H(p, q) = mean over the batch of -sum_k p_k log q_k` with the source's
    `p = c(x)` held fixed, so the translation must be read as the same class
    as its source: the semantic consistency of CyCADA (Hoffman et al. 2018).
    A `c` trained with labels makes the translation no longer unsupervised.

    The generators share one
    optimizer and the discriminators another; each `train_step` updates the
    generators, then the discriminators on the same translations. No replay
    buffer of old translations is kept (Zhu et al. use one of 50 images).

    `fit(x_images, y_images)` takes batches of the two domains side by side:
    they need not be paired (shuffle each domain independently, e.g. with
    `tf.data`). Like `GAN`, the optimizers are `compile` arguments saved with
    the model.

    Args:
        generator_g: functional model X -> Y (e.g. `translation_generator`).
        generator_f: functional model Y -> X.
        discriminator_x: functional model from X images to logits (any shape,
            e.g. `patch_discriminator`).
        discriminator_y: functional model from Y images to logits.
        lambda_cycle: weight of the cycle-consistency loss.
        lambda_identity: weight of the identity loss (0 turns it off).
        adversarial_loss: `"lsgan"` or `"non_saturating"`.
        cycle_noise: standard deviation of the Gaussian noise added to the
            translations before they are translated back (0 = none).
        seed: integer seed of that noise, or `None`.
        content_model: `None` (no content term), or a functional model with
            one image input (images of both domains) and class probabilities
            as output; it is frozen (`trainable = False`).
        lambda_content: weight of the content term (with `content_model`).
        **kwargs: base model arguments.

    Call arguments:
        inputs: images of domain X.
        training: passed to `G`.

    Returns:
        `G(inputs)`, the images translated to domain Y.

    Example:

    >>> cycle = CycleGAN(
    ...     translation_generator(), translation_generator(),
    ...     patch_discriminator(), patch_discriminator(),
    ... )
    >>> cycle.compile(keras.optimizers.Adam(2e-4, beta_1=0.5),
    ...               keras.optimizers.Adam(2e-4, beta_1=0.5))
    >>> cycle.fit(x_images, y_images, epochs=10)  # doctest: +SKIP

    References:
        Zhu, Park, Isola and Efros, "Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks", ICCV 2017.
        Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017.
        Chu, Zhmoginov and Sandler, "CycleGAN, a Master of Steganography",
        NeurIPS 2017 workshop, arXiv:1712.02950.
        Hoffman et al., "CyCADA: Cycle-Consistent Adversarial Domain
        Adaptation", ICML 2018 (the semantic consistency loss).
    """

    def __init__(
        self,
        generator_g,
        generator_f,
        discriminator_x,
        discriminator_y,
        lambda_cycle=10.0,
        lambda_identity=5.0,
        adversarial_loss="lsgan",
        cycle_noise=0.0,
        seed=None,
        content_model=None,
        lambda_content=1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        parts = {
            "generator_g": generator_g,
            "generator_f": generator_f,
            "discriminator_x": discriminator_x,
            "discriminator_y": discriminator_y,
        }
        if content_model is not None:
            parts["content_model"] = content_model
        for name, part in parts.items():
            if not isinstance(part, keras.Model) or len(part.inputs or ()) != 1:
                raise ValueError(
                    f"`{name}` must be a functional keras.Model with one image "
                    f"input, got {type(part).__name__}."
                )
        if adversarial_loss not in ADVERSARIAL_LOSSES:
            raise ValueError(
                f"`adversarial_loss` must be one of {ADVERSARIAL_LOSSES}, got "
                f"{adversarial_loss!r}."
            )
        self.generator_g = generator_g
        self.generator_f = generator_f
        self.discriminator_x = discriminator_x
        self.discriminator_y = discriminator_y
        self.lambda_cycle = non_negative_number("lambda_cycle", lambda_cycle)
        self.lambda_identity = non_negative_number("lambda_identity", lambda_identity)
        self.adversarial_loss = adversarial_loss
        self.cycle_noise = non_negative_number("cycle_noise", cycle_noise)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` must be an integer or None, got {seed!r}.")
        self.seed = seed
        self.content_model = content_model
        if content_model is not None:
            content_model.trainable = False
        self.lambda_content = non_negative_number("lambda_content", lambda_content)
        self.seed_generator = keras.random.SeedGenerator(seed, name="cycle_seed")
        self.generator_optimizer = None
        self.discriminator_optimizer = None
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in (
                "generator_loss",
                "discriminator_loss",
                "adversarial_loss_g",
                "adversarial_loss_f",
                "cycle_loss",
                "identity_loss",
            )
            + (("content_loss",) if content_model is not None else ())
        }
        self.built = True

    @property
    def generator_variables(self):
        """The trainable variables of `G` and `F`."""
        return self.generator_g.trainable_variables + (
            self.generator_f.trainable_variables
        )

    @property
    def discriminator_variables(self):
        """The trainable variables of `D_X` and `D_Y`."""
        return self.discriminator_x.trainable_variables + (
            self.discriminator_y.trainable_variables
        )

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=None):
        return self.generator_g(inputs, training=training)

    def translate_x_to_y(self, images):
        """`G(images)`, inference mode."""
        return self.generator_g(images, training=False)

    def translate_y_to_x(self, images):
        """`F(images)`, inference mode."""
        return self.generator_f(images, training=False)

    def _adversarial(self, fake_logits):
        if self.adversarial_loss == "lsgan":
            return ops.mean(ops.square(fake_logits - 1.0))
        return ops.mean(ops.softplus(-fake_logits))

    def _discriminator_adversarial(self, real_logits, fake_logits):
        if self.adversarial_loss == "lsgan":
            return ops.mean(ops.square(real_logits - 1.0)) + ops.mean(
                ops.square(fake_logits)
            )
        return ops.mean(ops.softplus(-real_logits)) + ops.mean(
            ops.softplus(fake_logits)
        )

    def _noisy(self, images):
        if not self.cycle_noise:
            return images
        noise = draw_for_global_batch(
            lambda shape: keras.random.normal(
                shape, dtype=images.dtype, seed=self.seed_generator
            ),
            tuple(ops.shape(images)),
        )
        return images + self.cycle_noise * noise

    def _content(self, source, translated):
        """`H(c(source), c(translated))`, the source's probabilities fixed."""
        target = ops.stop_gradient(self.content_model(source, training=False))
        predicted = self.content_model(translated, training=False)
        log_predicted = ops.log(ops.clip(predicted, 1e-7, 1.0))
        return ops.mean(-ops.sum(target * log_predicted, axis=-1))

    def generator_losses(self, x, y, training=True):
        """The generators' loss and its parts on one batch of each domain.

        Returns:
            A dict: `generator_loss` (the total), `adversarial_loss_g`,
            `adversarial_loss_f`, `cycle_loss`, `identity_loss`,
            `content_loss` (with a `content_model`; before their weights),
            and the translations `fake_y = G(x)`, `fake_x = F(y)`.
        """
        fake_y = self.generator_g(x, training=training)
        fake_x = self.generator_f(y, training=training)
        cycle = ops.mean(
            ops.abs(self.generator_f(self._noisy(fake_y), training=training) - x)
        ) + ops.mean(
            ops.abs(self.generator_g(self._noisy(fake_x), training=training) - y)
        )
        if self.lambda_identity:
            identity = ops.mean(
                ops.abs(self.generator_g(y, training=training) - y)
            ) + ops.mean(ops.abs(self.generator_f(x, training=training) - x))
        else:
            identity = ops.zeros((), dtype=cycle.dtype)
        adversarial_g = self._adversarial(
            self.discriminator_y(fake_y, training=training)
        )
        adversarial_f = self._adversarial(
            self.discriminator_x(fake_x, training=training)
        )
        total = (
            adversarial_g
            + adversarial_f
            + self.lambda_cycle * cycle
            + self.lambda_identity * identity
        )
        content = {}
        if self.content_model is not None:
            content["content_loss"] = self._content(x, fake_y) + self._content(
                y, fake_x
            )
            total = total + self.lambda_content * content["content_loss"]
        return {
            **content,
            "generator_loss": total,
            "adversarial_loss_g": adversarial_g,
            "adversarial_loss_f": adversarial_f,
            "cycle_loss": cycle,
            "identity_loss": identity,
            "fake_x": fake_x,
            "fake_y": fake_y,
        }

    def discriminator_loss(self, x, y, fake_x, fake_y, training=True):
        """`L_dis` on real images and (fixed) translations, a scalar."""
        loss_y = self._discriminator_adversarial(
            self.discriminator_y(y, training=training),
            self.discriminator_y(ops.stop_gradient(fake_y), training=training),
        )
        loss_x = self._discriminator_adversarial(
            self.discriminator_x(x, training=training),
            self.discriminator_x(ops.stop_gradient(fake_x), training=training),
        )
        return 0.5 * (loss_x + loss_y)

    def train_step(self, data):
        if self.generator_optimizer is None:
            raise RuntimeError("Call `CycleGAN.compile(...)` before `fit`.")
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            raise ValueError(
                "CycleGAN trains on `fit(x_images, y_images)`: batches of both "
                "domains; no Y images were given."
            )
        x = ops.cast(x, self.compute_dtype)
        y = ops.cast(y, self.compute_dtype)
        with tf.GradientTape() as tape:
            losses = self.generator_losses(x, y)
            scaled = scale_loss_for_replicas(losses["generator_loss"])
        variables = self.generator_variables
        gradients = tape.gradient(scaled, variables)
        self.generator_optimizer.apply_gradients(zip(gradients, variables, strict=True))
        with tf.GradientTape() as tape:
            d_loss = self.discriminator_loss(x, y, losses["fake_x"], losses["fake_y"])
            scaled = scale_loss_for_replicas(d_loss)
        variables = self.discriminator_variables
        gradients = tape.gradient(scaled, variables)
        self.discriminator_optimizer.apply_gradients(
            zip(gradients, variables, strict=True)
        )
        losses["discriminator_loss"] = d_loss
        for name, tracker in self.trackers.items():
            tracker.update_state(losses[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def serving_endpoints(self):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `translate_x_to_y(images)`: `{"translated": G(images)}`;
        - `translate_y_to_x(images)`: `{"translated": F(images)}`;
        - `serve(images)`: the same as `translate_x_to_y` (the model's call).

        Images of another rank or size, or with NaN or infinite values, fail
        with `InvalidArgumentError` naming `images`.

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """

        def images(generator):
            shape = (None, *generator.inputs[0].shape[1:])
            return [tf.TensorSpec(shape, generator.inputs[0].dtype, name="images")]

        x_to_y = (
            lambda images: {"translated": self.translate_x_to_y(images)},
            images(self.generator_g),
        )
        return {
            "serve": x_to_y,
            "translate_x_to_y": x_to_y,
            "translate_y_to_x": (
                lambda images: {"translated": self.translate_y_to_x(images)},
                images(self.generator_f),
            ),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            generator_g=serialize_submodel(self.generator_g),
            generator_f=serialize_submodel(self.generator_f),
            discriminator_x=serialize_submodel(self.discriminator_x),
            discriminator_y=serialize_submodel(self.discriminator_y),
            lambda_cycle=self.lambda_cycle,
            lambda_identity=self.lambda_identity,
            adversarial_loss=self.adversarial_loss,
            cycle_noise=self.cycle_noise,
            seed=self.seed,
            content_model=(
                None
                if self.content_model is None
                else serialize_submodel(self.content_model)
            ),
            lambda_content=self.lambda_content,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in (
            "generator_g",
            "generator_f",
            "discriminator_x",
            "discriminator_y",
        ):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        if config.get("content_model") is not None:
            config["content_model"] = keras.saving.deserialize_keras_object(
                config["content_model"]
            )
        return cls(**config)
