"""Distribution strategies by name, as the demos' `--strategy` option takes them.

Every trainer in the library and every demo builds and compiles its models
inside `make_strategy(name).scope()`; Keras `fit` then splits each global batch
over the replicas and sums the gradients, so the same seed and global batch give
the same losses on one device or several.
"""

import os

import tensorflow as tf

from kerastoolkit.utils.argument_checks import positive_int

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")
_MIRRORED = {}


def make_strategy(name="default", devices=None):
    """Returns the `tf.distribute.Strategy` called `name`.

    Args:
        name: "default" (one device, or whatever strategy is already in scope),
            "mirrored" (all local GPUs, or `devices`; one machine),
            "multi_worker" (synchronous data parallelism over the machines listed
            in the `TF_CONFIG` environment variable; every worker runs the same
            command), or "tpu" (the TPU named by `TPU_NAME`, or the local one).
            A `tf.distribute.Strategy` is returned unchanged.
        devices: device names for "mirrored", e.g. `["/cpu:0", "/cpu:1"]`; None
            means every GPU (or the CPU when there is none).

    Returns:
        A `tf.distribute.Strategy`.

    Example:
        >>> strategy = make_strategy("default")
        >>> with strategy.scope():
        ...     model = build_model()
    """
    if isinstance(name, tf.distribute.Strategy):
        return name
    if name not in STRATEGIES:
        raise ValueError(f"`strategy` must be one of {STRATEGIES}, got {name!r}.")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        # One strategy per device set and process: two MirroredStrategy objects
        # over the same devices number their collectives alike, and the
        # second one's all-reduces then clash with the first one's.
        key = tuple(devices) if devices is not None else None
        if key not in _MIRRORED:
            _MIRRORED[key] = tf.distribute.MirroredStrategy(devices=devices)
        return _MIRRORED[key]
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "`strategy`='multi_worker' needs the TF_CONFIG environment variable "
                "(the cluster's worker addresses and this worker's index)."
            )
        _patch_keras_fit_for_multi_worker()
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
        tpu=os.environ.get("TPU_NAME", "")
    )
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def split_cpu(count=2):
    """Splits the CPU into `count` logical devices, for MirroredStrategy tests.

    Must run before TensorFlow initialises its devices (before any op runs);
    returns the logical CPU device names.
    """
    positive_int("count", count)
    cpu = tf.config.list_physical_devices("CPU")[0]
    existing = tf.config.get_logical_device_configuration(cpu)
    if not existing:
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
            )
        except RuntimeError as error:
            raise RuntimeError(
                "split_cpu() must run before TensorFlow initialises its devices "
                "(call it first in the process, e.g. in conftest.py)."
            ) from error
    return [device.name for device in tf.config.list_logical_devices("CPU")][:count]


def replica_context():
    """Returns `(replica_id, num_replicas)` where this code runs.

    Inside `strategy.run` (and so inside a Keras `train_step` under a
    multi-replica strategy) these are the replica's index and the number of
    replicas in sync; elsewhere `(0, 1)`.
    """
    context = tf.distribute.get_replica_context()
    if context is None or tf.distribute.get_strategy().num_replicas_in_sync == 1:
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


def scale_loss_for_replicas(loss):
    """Divides a per-replica mean loss by the number of replicas in sync.

    The optimizer SUMS the replicas' gradients, so a loss that is a mean over
    the replica's part of the batch must be divided by the number of replicas
    for the step to equal the one-device step on the whole global batch (what
    Keras' built-in losses do). A no-op with one replica.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas == 1:
        return loss
    return loss * tf.cast(1.0 / replicas, loss.dtype)


def draw_for_global_batch(draw, local_shape):
    """Draws random numbers for the global batch and returns this replica's rows.

    With the same seed every replica's generator is in the same state, so a
    plain draw gives each replica the SAME noise. Drawing the global batch's
    noise (`num_replicas * local batch` rows) and slicing out this replica's
    rows gives every example the noise it gets on one device, so one and
    several devices train identically for the same seed and global batch
    (when the global batch divides evenly over the replicas).

    Args:
        draw: `draw(shape) -> tensor`, e.g. `lambda s: keras.random.normal(s,
            seed=generator)`.
        local_shape: the shape this replica needs; the first axis is the batch.

    Returns:
        A tensor of `local_shape`.
    """
    replica, replicas = replica_context()
    if replicas == 1:
        return draw(local_shape)
    batch = local_shape[0]
    noise = draw((batch * replicas, *local_shape[1:]))
    return noise[replica * batch : (replica + 1) * batch]


def sum_over_replicas(value):
    """Sums `value` over the replicas in sync (an all-reduce); itself with one.

    A step divides its summed per-example losses by the GLOBAL count (examples,
    or labelled examples under a mask) found this way: the replicas' summed
    gradients then equal the one-device gradient of the mean over the global
    batch, even when the replicas' parts differ in size or in labels.
    """
    _, replicas = replica_context()
    if replicas == 1:
        return value
    return tf.distribute.get_replica_context().all_reduce(
        tf.distribute.ReduceOp.SUM, value
    )


def _patch_keras_fit_for_multi_worker():
    """Makes Keras 3.15 `fit` work under MultiWorkerMirroredStrategy.

    Two bugs (keras-team/keras#20585): `fit` builds the model from one batch
    it gets with an eager `strategy.reduce` of the per-replica batch, which
    fails; and it averages each step's logs over workers with
    `strategy.reduce("MEAN", v, axis=0)`, which fails on scalars. Build from
    this worker's local batch, and average the logs over replicas (axis=None).
    """
    from keras.src.backend.tensorflow import trainer as tf_trainer

    if getattr(tf_trainer, "_kerastoolkit_multi_worker_fix", False):
        return
    multi_worker = tf_trainer._collective_all_reduce_multi_worker
    reduce_per_replica = tf_trainer.reduce_per_replica

    def reduce_logs(values, strategy, reduction):
        if reduction in ("auto", "mean") and multi_worker(strategy):
            return tf.nest.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=None), values
            )
        return reduce_per_replica(values, strategy, reduction)

    symbolic_build = tf_trainer.TensorFlowTrainer._maybe_symbolic_build

    def build_from_local_batch(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if iterator is None or strategy is None or not multi_worker(strategy):
            return symbolic_build(self, iterator=iterator, data_batch=data_batch)
        for _, _, it in iterator:
            data_batch = tf.nest.map_structure(
                lambda v: strategy.experimental_local_results(v)[0], next(it)
            )
            break
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    tf_trainer.reduce_per_replica = reduce_logs
    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = build_from_local_batch
    tf_trainer._kerastoolkit_multi_worker_fix = True
