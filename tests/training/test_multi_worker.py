"""MultiWorkerMirroredStrategy: two worker processes on loopback train like one.

Two real worker processes (a `TF_CONFIG` cluster of two localhost ports) run the
same `fit` under `make_strategy("multi_worker")`; each global batch of 16 is
split between them and their gradients are all-reduced over gRPC. A third
process trains the same model on one device with the same global batch and
seed. The final weights agree to atol 1e-5: the only difference is the order in
which the two half-batch gradient sums are added (float32 rounding).
"""

import socket
import textwrap
import time

import numpy as np

from tests.training.training_processes import load_weights, start_python

TIMEOUT_S = 180

# Keras 3.15 cannot run `fit` under MultiWorkerMirroredStrategy as shipped;
# make_strategy("multi_worker") patches it (distribution.py), which this checks.

# argv: strategy name, weights output path.
WORKER_SCRIPT = textwrap.dedent(
    """
    import sys
    import keras
    import numpy as np
    from kerastoolkit.training.distribution import make_strategy

    name, out = sys.argv[1], sys.argv[2]
    strategy = make_strategy(name)  # patches Keras fit for multi_worker
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 2))).astype("float32")
    with strategy.scope():
        model = keras.Sequential(
            [keras.Input((5,)), keras.layers.Dense(8, activation="tanh"),
             keras.layers.Dense(2)]
        )
        model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "mse")
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    print("replicas", strategy.num_replicas_in_sync, flush=True)
    print("losses", *history.history["loss"], flush=True)
    np.savez(out, *model.get_weights())
    """
)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("localhost", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _start(script, strategy, out, tf_config=None):
    return start_python(script, strategy, out, tf_config=tf_config)


def test_two_worker_processes_train_to_the_same_weights_as_one(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    processes = []
    try:
        for index in range(2):
            config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
            out = tmp_path / f"worker{index}.npz"
            processes.append(_start(script, "multi_worker", out, config))
        processes.append(_start(script, "default", tmp_path / "single.npz"))
        deadline = time.monotonic() + TIMEOUT_S
        outputs = [
            process.communicate(timeout=max(1.0, deadline - time.monotonic()))[0]
            for process in processes
        ]
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=10)
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output
    assert "replicas 2" in outputs[0] and "replicas 2" in outputs[1]
    assert "replicas 1" in outputs[2]

    single = load_weights(tmp_path / "single.npz")
    for index in range(2):
        worker = load_weights(tmp_path / f"worker{index}.npz")
        assert len(worker) == len(single) == 4
        for got, want in zip(worker, single, strict=True):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    # The workers also logged the same per-epoch losses as the single device.
    losses = [
        [float(v) for v in line.split()[1:]]
        for output in outputs
        for line in output.splitlines()
        if line.startswith("losses ")
    ]
    assert len(losses) == 3
    np.testing.assert_allclose(losses[0], losses[2], rtol=1e-5)
    np.testing.assert_allclose(losses[1], losses[2], rtol=1e-5)
