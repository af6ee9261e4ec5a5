"""kerastoolkit: recurrent, unsupervised, transfer and applied deep learning in Keras 3.

```python
import kerastoolkit
from kerastoolkit.layers import LSTM, CausalConv1D
from kerastoolkit.models import VAE, GAN, ProbabilisticPCA

model = keras.saving.load_model("vae.keras")  # toolkit classes are registered
```

Importing the package imports Keras and registers every serializable class of
the toolkit with `keras.saving`, so `keras.saving.load_model` reads any
toolkit `.keras` file after a plain `import kerastoolkit`. The optional extras
are not imported: KerasHub, gymnasium and SciPy load when a name that needs
them is first used (classes that need them are registered by a stand-in that
imports their module on load). Nothing is read from disk or the network.

Packages, from the ground floor up (a package imports only those before it):
`utils`, `layers`, `datasets`, `export`, `training`, `text`, `models`,
`testing`, `rl`, `transfer`.
"""

__version__ = "0.1.0"

from kerastoolkit import (  # noqa: E402 - after the version, as packages read it
    datasets,
    export,
    layers,
    models,
    rl,
    text,
    training,
    transfer,
    utils,
)

__all__ = [
    "datasets",
    "export",
    "layers",
    "models",
    "rl",
    "text",
    "training",
    "transfer",
    "utils",
]
