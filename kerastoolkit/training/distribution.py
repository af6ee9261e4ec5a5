"""Distribution strategies by name, as the demos' `--strategy` option takes them.

Every trainer in the library and every demo builds and compiles its models
inside `make_strategy(name).scope()`; Keras `fit` then splits each global batch
over the replicas and sums the gradients, so the same seed and global batch give
the same losses on one device or several.
"""

import os

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


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
        return tf.distribute.MirroredStrategy(devices=devices)
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "`strategy`='multi_worker' needs the TF_CONFIG environment variable "
                "(the cluster's worker addresses and this worker's index)."
            )
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
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"`count` must be a positive integer, got {count!r}.")
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
