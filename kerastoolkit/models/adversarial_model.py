"""The compile/save plumbing of models trained with two optimizers (GAN, CycleGAN)."""

import keras


class AdversarialModel(keras.Model):
    """A `keras.Model` whose generator(s) and discriminator(s) have one optimizer
    each.

    Subclasses define `generator_variables` and `discriminator_variables` and
    their own `train_step`; a subclass that draws noise keeps its
    `keras.random.SeedGenerator` as `seed_generator`, whose state is saved
    with the weights. `compile` takes the two optimizers (no `loss`,
    `optimizer` or `metrics`: the losses and trackers are the model's own), and
    both are saved in and restored from a `.keras` file.
    """

    @property
    def generator_variables(self):
        raise NotImplementedError

    def save_own_variables(self, store):
        # Keras does not save seed-generator states; the noise stream is part
        # of the training state, so a resumed run draws what this one would.
        super().save_own_variables(store)
        generator = getattr(self, "seed_generator", None)
        if generator is not None:
            store[str(len(self._own_variables()))] = keras.ops.convert_to_numpy(
                generator.state
            )

    def load_own_variables(self, store):
        count = len(self._own_variables())
        generator = getattr(self, "seed_generator", None)
        if generator is not None and len(store.keys()) == count + 1:
            generator.state.assign(store[str(count)][...])
            store = {str(i): store[str(i)] for i in range(count)}
        super().load_own_variables(store)

    def _own_variables(self):
        return self._trainable_variables + self._non_trainable_variables

    @property
    def discriminator_variables(self):
        raise NotImplementedError

    def compile(
        self, generator_optimizer="adam", discriminator_optimizer="adam", **kwargs
    ):
        """Sets the two optimizers.

        Args:
            generator_optimizer: optimizer (or name/config) of the generator(s).
            discriminator_optimizer: optimizer of the discriminator(s).
            **kwargs: further `keras.Model.compile` arguments (`jit_compile`,
                `run_eagerly`, `steps_per_execution`); no `loss`, `optimizer`
                or `metrics`.
        """
        for forbidden in ("loss", "optimizer", "metrics"):
            if kwargs.get(forbidden) is not None:
                raise ValueError(
                    f"{type(self).__name__}.compile takes no `{forbidden}`: the "
                    "adversarial losses and trackers are built in; pass "
                    "`generator_optimizer` and `discriminator_optimizer`."
                )
            kwargs.pop(forbidden, None)
        self.generator_optimizer = _optimizer(
            generator_optimizer, "generator_optimizer"
        )
        self.discriminator_optimizer = _optimizer(
            discriminator_optimizer, "discriminator_optimizer"
        )
        # The base optimizer is the discriminator's: Keras then saves it once
        # and fit's bookkeeping (iterations) has something to count.
        super().compile(optimizer=self.discriminator_optimizer, **kwargs)
        # Built now, so that a loaded `.keras` file finds the slots its saved
        # optimizer state goes into.
        self.generator_optimizer.build(self.generator_variables)
        self.discriminator_optimizer.build(self.discriminator_variables)

    def get_compile_config(self):
        if getattr(self, "generator_optimizer", None) is None:
            return None
        return {
            name: keras.optimizers.serialize(getattr(self, name))
            for name in ("generator_optimizer", "discriminator_optimizer")
        }

    def compile_from_config(self, config):
        self.compile(
            **{
                name: keras.optimizers.deserialize(value)
                for name, value in config.items()
            }
        )


def _optimizer(value, name):
    optimizer = keras.optimizers.get(value)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"`{name}` must be a Keras optimizer, got {value!r}.")
    return optimizer
