"""Models, one concept per module: `probabilistic_pca`, `linear_autoencoder`,
`autoencoder`, `vae`, `linear_ar`, `wavenet`, `char_language_model`,
`image_classifier`, `multitask_model`, `word2vec`, `adversarial_model`, `gan`,
`dcgan_builders`, `cycle_gan`, `frechet_distance`, `seq2seq_translator`,
`transformer_translator`.

Import a model from its module, e.g.
`from kerastoolkit.models.probabilistic_pca import ProbabilisticPCA`.
"""
