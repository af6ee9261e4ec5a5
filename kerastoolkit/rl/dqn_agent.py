"""Deep Q-learning: online and target networks and a compiled update step."""

import copy
import numbers

import keras
import numpy as np
import tensorflow as tf

from kerastoolkit.utils.argument_checks import boolean, positive_int


def _number(name, value, low=None, high=None, low_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a number, got {value!r}.")
    value = float(value)
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(
            f"`{name}` must be {'>' if low_open else '>='} {low}, got {value!r}."
        )
    if high is not None and value > high:
        raise ValueError(f"`{name}` must be <= {high}, got {value!r}.")
    return value


def linear_epsilon(step, start, end, duration):
    """`epsilon(t) = start + (end - start) * min(1, t / duration)`."""
    if duration <= 0:
        return end
    return start + (end - start) * min(1.0, step / duration)


def huber(x, delta=1.0):
    """Elementwise Huber loss: `x**2 / 2` if `|x| <= delta`, else
    `delta * (|x| - delta / 2)` (PyTorch's `smooth_l1_loss` for delta 1)."""
    absolute = tf.abs(x)
    quadratic = tf.minimum(absolute, delta)
    return 0.5 * quadratic**2 + delta * (absolute - quadratic)


def _dense_chain(model):
    """The Dense layers of `model` if it is a plain chain of Dense layers with
    ReLU or linear activations (acting then runs in NumPy), else None."""
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    if len(model.inputs) != 1 or len(model.input.shape) != 2 or not layers:
        return None
    previous = model.input
    for layer in layers:
        if not isinstance(layer, keras.layers.Dense):
            return None
        if layer.activation not in (keras.activations.relu, keras.activations.linear):
            return None
        if layer.input is not previous:
            return None
        previous = layer.output
    return layers if previous is model.output else None


@keras.saving.register_keras_serializable(package="kerastoolkit")
class DQNAgent:
    """A DQN agent: an online Q-network, its target copy and an optimizer.

    One update on a batch of transitions `(s, a, r, s', d, n)` (n = horizon,
    `r` already the discounted n-step return) minimises

        L = mean_i w_i huber(Q(s_i, a_i) - y_i)
        y_i = r_i + gamma**n_i (1 - d_i) Q_target(s'_i, a*_i)
        a*_i = argmax_a Q(s'_i, a)         (Double DQN)
        a*_i = argmax_a Q_target(s'_i, a)  (DQN)

    with the gradients clipped to global norm `max_grad_norm`. `y` is a
    constant (no gradient flows into the target network). The target follows
    the online network by `theta' <- tau theta + (1 - tau) theta'` whenever
    `sync_target()` is called (tau = 1: a hard copy). Exploration is
    epsilon-greedy with `epsilon` falling linearly from `epsilon_start` to
    `epsilon_end` over `exploration_steps` environment steps.

    Several gradient steps run in one compiled call (a `tf.function`,
    XLA-compiled where that is faster): pass batches stacked on a leading
    axis. Acting on one observation runs in NumPy when the network is a chain
    of Dense layers (tens of microseconds instead of a graph call), otherwise
    in a compiled function.

    Args:
        q_network: a built `keras.Model` from observations to Q-values
            `[batch, num_actions]` (see `kerastoolkit.rl.q_network`).
        learning_rate: Adam's step size: a number >= 0 (0 leaves the
            networks untrained), or a
            `keras.optimizers.schedules.LearningRateSchedule` of the gradient
            step (e.g. a linear decay, so the final policy settles).
        gamma: the discount factor, in [0, 1].
        double_dqn: choose the bootstrap action with the online network.
        tau: Polyak coefficient of `sync_target` (1.0: hard update).
        huber_delta: where the Huber loss turns from quadratic to linear.
        max_grad_norm: global-norm gradient clipping threshold.
        epsilon_start: exploration rate at step 0.
        epsilon_end: exploration rate after `exploration_steps`.
        exploration_steps: environment steps of the linear decay.
        n_step: length of the returns the training loop stores (the agent
            bootstraps with `gamma**horizon` of each transition).
        adam_epsilon: Adam's epsilon (1e-8, PyTorch's default).
        jit_compile: compile the update step with XLA: True, False, or
            "auto" (XLA unless the network has convolutions and no GPU is
            visible: XLA's CPU convolution gradients made a Nature-CNN update
            about 14 times slower than TensorFlow's own kernels). Acting on
            one observation is always XLA-compiled (it was faster for both).

    Example:

    ```python
    agent = DQNAgent(build_mlp_q_network((4,), 2), learning_rate=2.3e-3)
    action = agent.act(observation, step, rng)
    metrics = agent.update(buffer.sample(64, num_batches=128))
    agent.sync_target()
    ```

    References:
        Mnih et al., "Human-level control through deep reinforcement
        learning", Nature 2015. van Hasselt, Guez and Silver, "Deep
        Reinforcement Learning with Double Q-learning", AAAI 2016. Sutton and
        Barto, "Reinforcement Learning: An Introduction", 2nd ed., section 7.1
        (n-step returns).
    """

    def __init__(
        self,
        q_network,
        learning_rate=1e-4,
        gamma=0.99,
        double_dqn=True,
        tau=1.0,
        huber_delta=1.0,
        max_grad_norm=10.0,
        epsilon_start=1.0,
        epsilon_end=0.05,
        exploration_steps=10_000,
        n_step=1,
        adam_epsilon=1e-8,
        jit_compile="auto",
    ):
        if not isinstance(q_network, keras.Model) or not q_network.built:
            raise ValueError(
                f"`q_network` must be a built keras.Model, got {q_network!r}."
            )
        if len(q_network.output.shape) != 2 or q_network.output.shape[-1] is None:
            raise ValueError(
                "`q_network` must output Q-values [batch, num_actions], got shape "
                f"{q_network.output.shape}."
            )
        self.q_network = q_network
        self.num_actions = int(q_network.output.shape[-1])
        if isinstance(learning_rate, dict):
            learning_rate = keras.optimizers.schedules.deserialize(learning_rate)
        if not isinstance(
            learning_rate, keras.optimizers.schedules.LearningRateSchedule
        ):
            # 0 is allowed: it switches learning off (the networks keep their
            # initial weights), which is how a demo's test shows that its
            # learning guards fail without learning. Negative rates are refused.
            learning_rate = _number("learning_rate", learning_rate, 0)
        self.learning_rate = learning_rate
        self.gamma = _number("gamma", gamma, 0, 1)
        self.double_dqn = boolean("double_dqn", double_dqn)
        self.tau = _number("tau", tau, 0, 1, low_open=True)
        self.huber_delta = _number("huber_delta", huber_delta, 0, low_open=True)
        self.max_grad_norm = _number("max_grad_norm", max_grad_norm, 0, low_open=True)
        self.epsilon_start = _number("epsilon_start", epsilon_start, 0, 1)
        self.epsilon_end = _number("epsilon_end", epsilon_end, 0, 1)
        if (
            isinstance(exploration_steps, bool)
            or not isinstance(exploration_steps, numbers.Integral)
            or exploration_steps < 0
        ):
            raise ValueError(
                "`exploration_steps` must be an integer >= 0, got "
                f"{exploration_steps!r}."
            )
        self.exploration_steps = int(exploration_steps)
        self.n_step = positive_int("n_step", n_step)
        self.adam_epsilon = _number("adam_epsilon", adam_epsilon, 0, low_open=True)
        if not (isinstance(jit_compile, bool) or jit_compile == "auto"):
            raise ValueError(
                f"`jit_compile` must be True, False or 'auto', got {jit_compile!r}."
            )
        self.jit_compile = jit_compile
        if jit_compile == "auto":
            has_conv = any(
                isinstance(layer, keras.layers.Conv2D) for layer in q_network.layers
            )
            jit_compile = not has_conv or bool(tf.config.list_logical_devices("GPU"))

        self.target_network = keras.models.clone_model(q_network)
        self.target_network.set_weights(q_network.get_weights())
        self.target_network.trainable = False
        self.optimizer = keras.optimizers.Adam(
            learning_rate=self.learning_rate, epsilon=self.adam_epsilon
        )
        self.optimizer.build(q_network.trainable_variables)
        self._update_fn = tf.function(self._update_steps, jit_compile=jit_compile)
        self._sync_fn = tf.function(self._sync, jit_compile=False)
        self._q_values_fn = tf.function(
            lambda observations: self.q_network(observations, training=False),
            jit_compile=True,
        )
        self._dense_layers = _dense_chain(q_network)
        self._numpy_weights = None
        self._refresh_numpy_weights()

    # Acting.

    def epsilon(self, step):
        """The exploration rate after `step` environment steps."""
        return linear_epsilon(
            step, self.epsilon_start, self.epsilon_end, self.exploration_steps
        )

    def q_values(self, observations):
        """Q-values `[batch, num_actions]` (NumPy) of a batch of observations."""
        return np.asarray(self._q_values_fn(tf.convert_to_tensor(observations)))

    def greedy_action(self, observation):
        """`argmax_a Q(s, a)` for one observation, as a Python int."""
        if self._numpy_weights is None:
            return int(np.argmax(self.q_values(np.asarray(observation)[None])[0]))
        h = np.asarray(observation, np.float32)
        for kernel, bias, relu in self._numpy_weights:
            h = h @ kernel + bias
            if relu:
                h = np.maximum(h, 0.0)
        return int(np.argmax(h))

    def act(self, observation, step, rng):
        """Epsilon-greedy action: uniform with probability `epsilon(step)`
        (drawn from the NumPy generator `rng`), else greedy."""
        if rng.random() < self.epsilon(step):
            return int(rng.integers(self.num_actions))
        return self.greedy_action(observation)

    def _refresh_numpy_weights(self):
        if self._dense_layers is None:
            return
        self._numpy_weights = [
            (
                np.asarray(layer.kernel),
                np.asarray(layer.bias) if layer.use_bias else 0.0,
                layer.activation is keras.activations.relu,
            )
            for layer in self._dense_layers
        ]

    # Learning.

    def _loss(
        self,
        observations,
        actions,
        rewards,
        next_observations,
        terminations,
        horizons,
        weights,
    ):
        next_target = self.target_network(next_observations, training=False)
        if self.double_dqn:
            next_online = self.q_network(next_observations, training=False)
            next_actions = tf.argmax(next_online, axis=-1, output_type=tf.int32)
        else:
            next_actions = tf.argmax(next_target, axis=-1, output_type=tf.int32)
        next_values = tf.gather(next_target, next_actions, batch_dims=1)
        discounts = tf.pow(self.gamma, tf.cast(horizons, tf.float32))
        targets = tf.stop_gradient(
            rewards + discounts * (1.0 - terminations) * next_values
        )
        q = self.q_network(observations, training=True)
        taken = tf.gather(q, tf.cast(actions, tf.int32), batch_dims=1)
        td_errors = taken - targets
        loss = tf.reduce_mean(weights * huber(td_errors, self.huber_delta))
        return loss, td_errors, tf.reduce_mean(taken)

    def _gradient_step(self, *batch):
        variables = self.q_network.trainable_variables
        with tf.GradientTape() as tape:
            loss, td_errors, q_mean = self._loss(*batch)
        gradients = tape.gradient(loss, variables)
        gradients, _ = tf.clip_by_global_norm(gradients, self.max_grad_norm)
        self.optimizer.apply(gradients, variables)
        return loss, td_errors, q_mean

    def _update_steps(self, *stacked):
        if stacked[0].shape[0] == 1:
            # One step: no loop to build (faster to trace).
            loss, td_errors, q_mean = self._gradient_step(*(x[0] for x in stacked))
            return loss[None], q_mean[None], td_errors[None]
        steps = tf.shape(stacked[0])[0]
        losses = tf.TensorArray(tf.float32, size=steps)
        q_means = tf.TensorArray(tf.float32, size=steps)
        td_errors = tf.TensorArray(tf.float32, size=steps)
        for i in tf.range(steps):
            loss, errors, q_mean = self._gradient_step(*(x[i] for x in stacked))
            losses = losses.write(i, loss)
            q_means = q_means.write(i, q_mean)
            td_errors = td_errors.write(i, errors)
        return losses.stack(), q_means.stack(), td_errors.stack()

    def update(self, batch):
        """Runs one gradient step per batch.

        Args:
            batch: a dict as `ReplayBuffer.sample` returns it, with leading
                shape `[batch_size]` (one step) or `[steps, batch_size]`;
                optional `weights` (importance weights, default 1).

        Returns:
            A dict: `loss` and `q_mean` (means over the steps) and
            `td_errors` (`Q(s, a) - y`, the batch's shape).
        """
        single = np.ndim(batch["actions"]) == 1
        expand = (lambda x: np.asarray(x)[None]) if single else np.asarray
        actions = expand(batch["actions"])
        weights = batch.get("weights")
        weights = (
            np.ones(actions.shape, np.float32) if weights is None else expand(weights)
        )
        losses, q_means, td_errors = self._update_fn(
            tf.convert_to_tensor(expand(batch["observations"])),
            tf.convert_to_tensor(actions.astype(np.int32)),
            tf.convert_to_tensor(expand(batch["rewards"]).astype(np.float32)),
            tf.convert_to_tensor(expand(batch["next_observations"])),
            tf.convert_to_tensor(expand(batch["terminations"]).astype(np.float32)),
            tf.convert_to_tensor(expand(batch["horizons"]).astype(np.int32)),
            tf.convert_to_tensor(weights.astype(np.float32)),
        )
        self._refresh_numpy_weights()
        td_errors = td_errors.numpy()
        return {
            "loss": float(np.mean(losses)),
            "q_mean": float(np.mean(q_means)),
            "td_errors": td_errors[0] if single else td_errors,
        }

    def _sync(self, tau):
        for target, online in zip(
            self.target_network.weights, self.q_network.weights, strict=True
        ):
            target.assign(tau * online + (1.0 - tau) * target)

    def sync_target(self, tau=None):
        """`theta' <- tau theta + (1 - tau) theta'` (default `tau`: the agent's)."""
        tau = self.tau if tau is None else _number("tau", tau, 0, 1, low_open=True)
        if tau == 1.0:
            for target, online in zip(
                self.target_network.weights, self.q_network.weights, strict=True
            ):
                target.assign(online)
        else:
            self._sync_fn(tf.constant(tau, tf.float32))

    def n_step_transition(self, window, next_observation, terminated):
        """Folds `window` = [(s_t, a_t, r_t), ..., (s_{t+m-1}, ...)] (m <= n)
        into one transition `(s_t, a_t, sum_k gamma**k r_{t+k}, s_{t+m},
        terminated, m)`."""
        rewards = np.array([step[2] for step in window], np.float64)
        discounted = float(np.sum(rewards * self.gamma ** np.arange(len(window))))
        observation, action, _ = window[0]
        return (
            observation,
            action,
            discounted,
            next_observation,
            terminated,
            len(window),
        )

    # State and configuration.

    def get_state(self):
        """Weights of both networks and the optimizer's variables (NumPy)."""
        return {
            "online": self.q_network.get_weights(),
            "target": self.target_network.get_weights(),
            "optimizer": [np.array(v) for v in self.optimizer.variables],
        }

    def set_q_weights(self, weights):
        """Sets both networks to `weights` (a list from
        `q_network.get_weights()`), e.g. to act with a policy kept earlier."""
        self.q_network.set_weights(weights)
        self.target_network.set_weights(weights)
        self._refresh_numpy_weights()

    def set_state(self, state):
        """Restores a state written by `get_state`."""
        self.q_network.set_weights(state["online"])
        self.target_network.set_weights(state["target"])
        if len(state["optimizer"]) != len(self.optimizer.variables):
            raise ValueError(
                f"The state holds {len(state['optimizer'])} optimizer variables, "
                f"the agent has {len(self.optimizer.variables)}."
            )
        for variable, value in zip(
            self.optimizer.variables, state["optimizer"], strict=True
        ):
            variable.assign(value)
        self._refresh_numpy_weights()

    def get_config(self):
        return {
            "q_network": keras.saving.serialize_keras_object(self.q_network),
            "learning_rate": (
                keras.optimizers.schedules.serialize(self.learning_rate)
                if isinstance(
                    self.learning_rate, keras.optimizers.schedules.LearningRateSchedule
                )
                else self.learning_rate
            ),
            "gamma": self.gamma,
            "double_dqn": self.double_dqn,
            "tau": self.tau,
            "huber_delta": self.huber_delta,
            "max_grad_norm": self.max_grad_norm,
            "epsilon_start": self.epsilon_start,
            "epsilon_end": self.epsilon_end,
            "exploration_steps": self.exploration_steps,
            "n_step": self.n_step,
            "adam_epsilon": self.adam_epsilon,
            "jit_compile": self.jit_compile,
        }

    @classmethod
    def from_config(cls, config):
        # Functional.from_config consumes its argument: work on a copy.
        config = copy.deepcopy(config)
        config["q_network"] = keras.saving.deserialize_keras_object(config["q_network"])
        return cls(**config)

    # Export.

    def export_policy(self, export_root, version=None, examples=None):
        """Exports the greedy policy as a SavedModel (TF Serving layout).

        `serving_default` (also `serve`) takes a batch of `observations` (the
        network's input dtype and shape, batch axis free) and returns
        `actions` (int64, `argmax_a Q(s, a)`) and `q_values` (float32
        `[batch, num_actions]`). Observations of another shape, or with NaN
        or infinite values, fail with `InvalidArgumentError` naming
        `observations`.

        Args:
            export_root: the model's base directory (`saved_models/NAME`).
            version: the version number; by default the next one.
            examples: optional raw observations stored with the export, with
                the actions and Q-values computed here, for
                `kerastoolkit.testing.check_serving_examples`.

        Returns:
            The version directory's `pathlib.Path`.
        """
        from kerastoolkit.export.saved_model import export_saved_model

        model = self.q_network
        spec = tf.TensorSpec(
            (None, *model.input.shape[1:]), model.input.dtype, name="observations"
        )

        def policy(observations):
            q_values = model(observations, training=False)
            return {
                "actions": tf.argmax(q_values, axis=-1, output_type=tf.int64),
                "q_values": q_values,
            }

        return export_saved_model(
            model,
            export_root,
            version=version,
            endpoints={"serve": (policy, [spec])},
            examples=None if examples is None else {"serving_default": examples},
        )
