"""Models, one concept per module (`probabilistic_pca`, `autoencoder`, `vae`, ...).

Import a model from its module, e.g.
`from kerastoolkit.models.probabilistic_pca import ProbabilisticPCA`.
"""
