"""kerastoolkit: recurrent, unsupervised, transfer and applied deep learning in Keras 3.

Importing the package has no side effects: sub-packages (`layers`, `models`,
`datasets`, `export`, `training`, `testing`) are imported where they are used.
"""

__version__ = "0.1.0"
