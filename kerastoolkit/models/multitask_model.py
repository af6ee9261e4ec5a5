"""Multitask learning: one shared trunk, a head per task, and labels that may be
missing for some tasks."""

import re

import keras
from keras import ops

from kerastoolkit.models.submodel_config import serialize_submodel
from kerastoolkit.training.distribution import (
    scale_loss_for_replicas,
    sum_over_replicas,
)

_TASK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ACCURACY = ("accuracy", "acc")


class _TaskTraining:
    """What `compile` set up per task. A plain object on purpose: Keras does
    not auto-track it, so recompiling replaces the metrics instead of piling
    them up."""

    def __init__(self, losses, loss_weights, loss_trackers, metrics, config):
        self.losses = losses
        self.loss_weights = loss_weights
        self.loss_trackers = loss_trackers
        self.metrics = metrics
        self.config = config


def _loss_name(loss):
    if isinstance(loss, str):
        return loss
    if isinstance(loss, keras.losses.Loss):
        return type(loss).__name__
    return getattr(loss, "__name__", "")


def _renamed(metric, task):
    config = metric.get_config()
    config["name"] = f"{task}_{config.get('name') or metric.name}"
    return type(metric).from_config(config)


def _task_metric(identifier, loss, task):
    if isinstance(identifier, str) and identifier in _ACCURACY:
        # As Keras does for "accuracy": pick the variant the loss implies.
        loss_name = _loss_name(loss).lower()
        if "sparse" in loss_name:
            cls = keras.metrics.SparseCategoricalAccuracy
        elif "binary" in loss_name:
            cls = keras.metrics.BinaryAccuracy
        else:
            cls = keras.metrics.CategoricalAccuracy
        return cls(name=f"{task}_accuracy")
    metric = identifier
    if not isinstance(metric, keras.metrics.Metric):
        metric = keras.metrics.get(identifier)
    if isinstance(metric, keras.metrics.Metric):
        return _renamed(metric, task)
    name = getattr(metric, "__name__", str(identifier))
    return keras.metrics.MeanMetricWrapper(metric, name=f"{task}_{name}")


def _per_example(loss, y_true, y_pred):
    if isinstance(loss, keras.losses.Loss):
        values = loss.call(y_true, y_pred)  # per example: before its reduction
    else:
        values = loss(y_true, y_pred)
    values = ops.convert_to_tensor(values)
    while len(values.shape) > 1:
        values = ops.mean(values, axis=-1)
    return values


@keras.saving.register_keras_serializable(package="kerastoolkit")
class MultiTaskModel(keras.Model):
    """A shared trunk with one named head per task, trained on all tasks at once.

        outputs_t = head_t(trunk(x))                  for each task t
        L = sum_t w_t * L_t,
        L_t = sum_i m_ti s_ti l_t(y_ti, outputs_ti) / sum_i m_ti s_ti

    where `l_t` is task t's loss, `w_t` its loss weight, `s_ti` an optional
    sample weight, and `m_ti` is 1 when example i has a label for task t and 0
    when it is missing: an example labelled for one task only still trains the
    trunk through that task, and adds nothing to the others' losses. `L_t` is
    a mean over the labelled examples of the batch (0 when there are none).

    A missing label is written as `missing_label` (default -1) in integer
    labels, and as NaN in float labels (regression targets, one-hot rows); for
    a label of several entries, every entry. Integer labels must then have a
    signed dtype.

    `compile` takes per-task dicts: `loss={"task": loss}`,
    `loss_weights={"task": w}`, `metrics={"task": [metrics]}`. `fit` takes
    `y={"task": labels}` (a task left out of `y` has no labels at all) and
    reports `loss`, `<task>_loss` and `<task>_<metric>`, the metrics counted
    over labelled examples only.

    Args:
        trunk: the shared `keras.Model` (or layer) from inputs to features.
        heads: a dict from task name (letters, digits and `_`) to the Keras
            layer or model from features to that task's output.
        missing_label: the integer label value that marks a missing label.
        **kwargs: base model arguments (`name`, ...).

    Call arguments:
        inputs: what `trunk` takes.
        training: whether dropout and similar layers are active.

    Returns:
        A dict from task name to that head's output.

    Example:

    >>> model = MultiTaskModel(trunk, {"fashion": fashion_head, "digits": digit_head})
    >>> model.compile(
    ...     "adam",
    ...     loss={"fashion": "sparse_categorical_crossentropy",
    ...           "digits": "sparse_categorical_crossentropy"},
    ...     loss_weights={"fashion": 1.0, "digits": 0.5},
    ...     metrics={"fashion": ["accuracy"], "digits": ["accuracy"]},
    ... )
    >>> # A fashion image has no digit label and vice versa: -1 masks them.
    >>> model.fit(images, {"fashion": fashion_or_minus_1, "digits": digit_or_minus_1})

    References:
        Caruana, "Multitask Learning", Machine Learning 28, 1997.
    """

    def __init__(self, trunk, heads, missing_label=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(trunk, keras.layers.Layer):
            raise ValueError(
                f"`trunk` must be a Keras layer or model, got {type(trunk).__name__}."
            )
        if not isinstance(heads, dict) or not heads:
            raise ValueError(
                "`heads` must be a non-empty dict from task name to Keras layer, "
                f"got {heads!r}."
            )
        for task, head in heads.items():
            if not isinstance(task, str) or not _TASK_NAME.match(task):
                raise ValueError(
                    "Task names must start with a letter and hold only letters, "
                    f"digits and '_' (they name the outputs), got {task!r}."
                )
            if not isinstance(head, keras.layers.Layer):
                raise ValueError(
                    f"The head of task {task!r} must be a Keras layer or model, "
                    f"got {type(head).__name__}."
                )
        if isinstance(missing_label, bool) or not isinstance(missing_label, int):
            raise ValueError(
                f"`missing_label` must be an integer, got {missing_label!r}."
            )
        self.trunk = trunk
        self.heads = dict(heads)
        self.tasks = tuple(heads)
        self.missing_label = missing_label
        self._task_training = None

    def build(self, input_shape):
        self.trunk.build(input_shape)
        features = self.trunk.compute_output_shape(input_shape)
        for head in self.heads.values():
            if not head.built:
                head.build(features)

    def call(self, inputs, training=False):
        # `training` defaults to False, not None: Keras's random preprocessing
        # layers (augmentation in the trunk) would otherwise act on plain calls
        # and in the exported SavedModel.
        features = self.trunk(inputs, training=training)
        return {
            task: self.heads[task](features, training=training) for task in self.tasks
        }

    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        **kwargs,
    ):
        """Configures training, with per-task losses, weights and metrics.

        Args:
            optimizer: as in `keras.Model.compile`.
            loss: a dict from task to loss (a name, a `keras.losses.Loss` or a
                function `loss(y_true, y_pred)` of per-example values), or one
                loss for every task.
            loss_weights: a dict from task to its weight `w_t` (default 1).
            metrics: a dict from task to a list of metrics (`"accuracy"` picks
                the variant the task's loss implies).
            **kwargs: further `keras.Model.compile` arguments (`jit_compile`,
                `steps_per_execution`, ...), but not `weighted_metrics`.
        """
        if kwargs.pop("weighted_metrics", None) is not None:
            raise ValueError(
                "MultiTaskModel.compile does not take `weighted_metrics`: every "
                "metric is weighted by the label mask."
            )
        if loss is None:
            raise ValueError("`loss` is required: a dict from task to loss.")
        losses = loss if isinstance(loss, dict) else dict.fromkeys(self.tasks, loss)
        loss_weights = dict(loss_weights or {})
        metrics = dict(metrics or {})
        for what, given in (
            ("loss", losses),
            ("loss_weights", loss_weights),
            ("metrics", metrics),
        ):
            unknown = sorted(set(given) - set(self.tasks))
            if unknown:
                raise ValueError(
                    f"`{what}` names tasks {unknown} the model has no head for; "
                    f"tasks: {list(self.tasks)}."
                )
        missing = [t for t in self.tasks if losses.get(t) is None]
        if missing:
            raise ValueError(f"`loss` gives no loss for the tasks {missing}.")
        for task, weight in loss_weights.items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float)):
                raise ValueError(
                    f"`loss_weights[{task!r}]` must be a number, got {weight!r}."
                )
        super().compile(optimizer=optimizer, **kwargs)
        resolved = {}
        for task in self.tasks:
            item = losses[task]
            resolved[task] = (
                keras.losses.get(item) if isinstance(item, (str, dict)) else item
            )
            if not callable(resolved[task]):
                raise ValueError(
                    f"The loss of task {task!r} is not callable: {item!r}."
                )
        task_metrics = {}
        for task in self.tasks:
            given = metrics.get(task) or []
            if isinstance(given, (str, keras.metrics.Metric)) or callable(given):
                given = [given]
            task_metrics[task] = [_task_metric(m, losses[task], task) for m in given]
        self._task_training = _TaskTraining(
            losses=resolved,
            loss_weights={t: float(loss_weights.get(t, 1.0)) for t in self.tasks},
            loss_trackers={t: keras.metrics.Mean(name=f"{t}_loss") for t in self.tasks},
            metrics=task_metrics,
            config={"loss": losses, "loss_weights": loss_weights, "metrics": metrics},
        )

    @property
    def metrics(self):
        metrics = list(super().metrics)
        if self._task_training is not None:
            metrics += list(self._task_training.loss_trackers.values())
            for task in self.tasks:
                metrics += self._task_training.metrics[task]
        return metrics

    def label_mask(self, labels):
        """1.0 where an example has a label, 0.0 where it is missing (all its
        entries `missing_label`, or NaN for float labels).

        Args:
            labels: one task's labels, `(batch,)` or `(batch, ...)`.

        Returns:
            A float tensor of shape `(batch,)`.
        """
        labels = ops.convert_to_tensor(labels)
        if keras.backend.is_float_dtype(labels.dtype):
            # A float label may take any value, -1 included: only NaN marks it.
            missing = ops.isnan(labels)
        else:
            missing = ops.equal(labels, ops.cast(self.missing_label, labels.dtype))
        if len(labels.shape) > 1:
            missing = ops.all(
                ops.reshape(missing, (ops.shape(missing)[0], -1)), axis=-1
            )
        return ops.cast(ops.logical_not(missing), "float32")

    def _labelled_targets(self, y):
        if not isinstance(y, dict):
            raise ValueError(
                "MultiTaskModel takes `y` as a dict from task name to labels, got "
                f"{type(y).__name__}."
            )
        unknown = sorted(set(y) - set(self.tasks))
        if unknown:
            raise ValueError(
                f"`y` has labels for tasks {unknown} the model has no head for; "
                f"tasks: {list(self.tasks)}."
            )
        targets = {}
        for task in self.tasks:
            if task not in y or y[task] is None:
                continue
            labels = ops.convert_to_tensor(y[task])
            mask = self.label_mask(labels)
            # Missing labels become 0 so that the loss stays finite; the mask
            # then drops them.
            entry_mask = ops.reshape(mask, (-1,) + (1,) * (len(labels.shape) - 1))
            safe = ops.where(
                ops.cast(entry_mask, "bool"), labels, ops.zeros_like(labels)
            )
            targets[task] = (safe, mask)
        return targets

    def _task_weights(self, task, mask, sample_weight):
        if sample_weight is None:
            return mask
        if isinstance(sample_weight, dict):
            sample_weight = sample_weight.get(task)
            if sample_weight is None:
                return mask
        weights = ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        return mask * weights

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if self._task_training is None:
            raise ValueError("Call `compile()` before training or evaluating.")
        total = ops.zeros((), dtype="float32")
        for task, (safe, mask) in self._labelled_targets(y).items():
            weights = self._task_weights(task, mask, sample_weight)
            values = _per_example(self._task_training.losses[task], safe, y_pred[task])
            values = ops.cast(values, "float32")
            # Divided by the labelled count of the GLOBAL batch: the replicas'
            # summed gradients then equal one device's (Keras' reported loss
            # multiplies each replica's part back by the replica count).
            count = sum_over_replicas(ops.sum(weights))
            task_loss = ops.divide_no_nan(ops.sum(values * weights), count)
            self._task_training.loss_trackers[task].update_state(
                values, sample_weight=weights
            )
            total = total + self._task_training.loss_weights[task] * task_loss
        for loss in self.losses:
            total = total + scale_loss_for_replicas(ops.cast(ops.sum(loss), "float32"))
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        for task, (safe, mask) in self._labelled_targets(y).items():
            weights = self._task_weights(task, mask, sample_weight)
            for metric in self._task_training.metrics[task]:
                metric.update_state(safe, y_pred[task], sample_weight=weights)
        return self.get_metrics_result()

    def serving_endpoints(self):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `serving_default(inputs)`: the trunk's input, any batch size, to a
          dict with one output per task, named by the task. Inputs of
          another rank or size, or non-finite floats, fail with
          `InvalidArgumentError` naming `inputs`.

        Needs a functional `trunk` with one input (whose spec it copies).

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """
        inputs = getattr(self.trunk, "inputs", None)
        if not inputs or len(inputs) != 1:
            raise ValueError(
                "`serving_endpoints` needs a functional trunk with one input; pass "
                "an input signature to export_saved_model instead."
            )
        spec = keras.InputSpec(
            shape=(None, *inputs[0].shape[1:]), dtype=inputs[0].dtype, name="inputs"
        )

        def predict_tasks(inputs):
            return self(inputs, training=False)

        return {"serving_default": (predict_tasks, [spec])}

    def get_compile_config(self):
        if self._task_training is None:
            return {}
        config = super().get_compile_config()
        config.update(keras.saving.serialize_keras_object(self._task_training.config))
        return config

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def get_config(self):
        config = super().get_config()
        config.update(
            trunk=serialize_submodel(self.trunk),
            heads={task: serialize_submodel(h) for task, h in self.heads.items()},
            missing_label=self.missing_label,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["trunk"] = keras.saving.deserialize_keras_object(config["trunk"])
        config["heads"] = {
            task: keras.saving.deserialize_keras_object(head)
            for task, head in config["heads"].items()
        }
        return cls(**config)
