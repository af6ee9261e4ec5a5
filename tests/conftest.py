"""Session set-up shared by every test.

The CPU is split into two logical devices before TensorFlow starts, so the
MirroredStrategy tests can run two replicas on this machine. Ops without a
strategy still run on the first CPU device as before.
"""

from kerastoolkit.training.distribution import split_cpu

split_cpu(2)
