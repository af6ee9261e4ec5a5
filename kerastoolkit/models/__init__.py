"""Models, one concept per module, all exported here.

```python
from kerastoolkit.models import VAE, GAN, ProbabilisticPCA
```

- Unsupervised: `ProbabilisticPCA`, `LinearAutoencoder` (tied weights),
  `Autoencoder` (with `dense_encoder`/`dense_decoder`/`conv_encoder`/
  `conv_decoder`), `VAE` (with its `Sampling` layer), the image builders
  `image_encoder`/`image_decoder`/`image_vae`, `largest_principal_angle`
  (how far apart two learned subspaces are), and `SimCLR` (contrastive
  pretraining of an encoder, with its `nt_xent_loss`).
- Sequences: `LinearAR` (Yule-Walker AR(k)), `WaveNet`, `CharLanguageModel`,
  `Seq2SeqTranslator`, `TransformerTranslator` (KerasHub blocks; KerasHub is
  imported when this name is first used).
- Adversarial: `AdversarialModel` (the two-optimizer base), `GAN` with
  `dcgan_generator`/`dcgan_discriminator`, `CycleGAN` with
  `translation_generator`/`patch_discriminator`, and the Fréchet distance in a
  classifier's feature space (`FeatureFrechetDistance`, `frechet_distance`,
  `gaussian_statistics`, `feature_extractor`, `class_coverage`).
- Supervised and multitask: `ImageClassifier` (with `ChannelAdapter` and the
  `plain_cnn`/`small_resnet`/`applications_backbone` builders),
  `MultiTaskModel`.
- Text classification: `TextCNNClassifier` (Kim 2014: widths 3/4/5,
  max-over-time pooling; random or given, static or non-static word vectors)
  and `RecurrentTextClassifier` (a bidirectional `kerastoolkit.layers.LSTM`);
  with a `TextVectorization` preprocessor they export for raw strings through
  `kerastoolkit.export.export_raw_text_classifier`.
- Embeddings: `Word2Vec` (with `NegativeSamplingLoss`, `linear_decay_sgd`).
"""

from kerastoolkit.models.adversarial_model import AdversarialModel
from kerastoolkit.models.autoencoder import (
    Autoencoder,
    conv_decoder,
    conv_encoder,
    dense_decoder,
    dense_encoder,
)
from kerastoolkit.models.char_language_model import CharLanguageModel
from kerastoolkit.models.cnn_builders import (
    applications_backbone,
    plain_cnn,
    small_resnet,
)
from kerastoolkit.models.cycle_gan import (
    CycleGAN,
    patch_discriminator,
    translation_generator,
)
from kerastoolkit.models.dcgan_builders import dcgan_discriminator, dcgan_generator
from kerastoolkit.models.frechet_distance import (
    FeatureFrechetDistance,
    class_coverage,
    feature_extractor,
    frechet_distance,
    gaussian_statistics,
)
from kerastoolkit.models.gan import GAN
from kerastoolkit.models.image_autoencoder_builders import (
    image_decoder,
    image_encoder,
    image_vae,
)
from kerastoolkit.models.image_classifier import ChannelAdapter, ImageClassifier
from kerastoolkit.models.linear_ar import LinearAR
from kerastoolkit.models.linear_autoencoder import LinearAutoencoder
from kerastoolkit.models.multitask_model import MultiTaskModel
from kerastoolkit.models.principal_angles import largest_principal_angle
from kerastoolkit.models.probabilistic_pca import ProbabilisticPCA
from kerastoolkit.models.recurrent_text_classifier import RecurrentTextClassifier
from kerastoolkit.models.sampling import Sampling
from kerastoolkit.models.seq2seq_translator import Seq2SeqTranslator
from kerastoolkit.models.simclr import SimCLR, nt_xent_loss
from kerastoolkit.models.text_cnn_classifier import TextCNNClassifier
from kerastoolkit.models.vae import VAE
from kerastoolkit.models.wavenet import WaveNet
from kerastoolkit.models.word2vec import (
    NegativeSamplingLoss,
    Word2Vec,
    linear_decay_sgd,
)
from kerastoolkit.utils.lazy_imports import lazy_attributes, register_lazily

_LAZY = {"TransformerTranslator": "kerastoolkit.models.transformer_translator"}
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
register_lazily("TransformerTranslator", _LAZY["TransformerTranslator"])

__all__ = [
    "GAN",
    "VAE",
    "AdversarialModel",
    "Autoencoder",
    "ChannelAdapter",
    "CharLanguageModel",
    "CycleGAN",
    "FeatureFrechetDistance",
    "ImageClassifier",
    "LinearAR",
    "LinearAutoencoder",
    "MultiTaskModel",
    "NegativeSamplingLoss",
    "ProbabilisticPCA",
    "RecurrentTextClassifier",
    "Sampling",
    "Seq2SeqTranslator",
    "SimCLR",
    "TextCNNClassifier",
    "TransformerTranslator",
    "WaveNet",
    "Word2Vec",
    "applications_backbone",
    "class_coverage",
    "conv_decoder",
    "conv_encoder",
    "dcgan_discriminator",
    "dcgan_generator",
    "dense_decoder",
    "dense_encoder",
    "feature_extractor",
    "frechet_distance",
    "gaussian_statistics",
    "image_decoder",
    "image_encoder",
    "image_vae",
    "largest_principal_angle",
    "linear_decay_sgd",
    "nt_xent_loss",
    "patch_discriminator",
    "plain_cnn",
    "small_resnet",
    "translation_generator",
]
