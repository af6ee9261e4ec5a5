"""The ground floor: helpers every package may import, importing none of them.

- `argument_checks`: one set of checks for constructor and function arguments,
  each raising a `ValueError` that names the argument, what was expected and
  what was received.
- `lazy_imports`: public names that load their module on first use, and Keras
  registration of classes whose module is not imported yet.
"""

from kerastoolkit.utils import argument_checks, lazy_imports

__all__ = ["argument_checks", "lazy_imports"]
