import pytest
import tensorflow as tf

from kerastoolkit.training.distribution import make_strategy, split_cpu


def test_default_strategy_is_the_one_in_scope():
    assert make_strategy("default") is tf.distribute.get_strategy()


def test_mirrored_over_two_logical_cpus():
    devices = split_cpu(2)
    assert len(devices) == 2
    strategy = make_strategy("mirrored", devices=devices)
    assert strategy.num_replicas_in_sync == 2


def test_strategy_object_passes_through():
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    assert make_strategy(strategy) is strategy


@pytest.mark.parametrize("name", ["gpu", "", None])
def test_unknown_name_is_rejected(name):
    with pytest.raises(ValueError, match="`strategy` must be one of"):
        make_strategy(name)


def test_multi_worker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        make_strategy("multi_worker")
