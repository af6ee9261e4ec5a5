"""Public names that load their module on first use, and lazy registration.

A package exports names from modules that need an optional extra (KerasHub,
gymnasium, SciPy...) without importing that extra when the package is
imported: `lazy_attributes` gives the package a module-level `__getattr__`
(PEP 562) that imports the defining module the first time a name is read.

Keras finds a custom class in a `.keras` file by its registered name
(`"kerastoolkit>ClassName"`). `register_lazily` registers a stand-in under
that name whose `from_config` imports the real module and builds the real
object, so `keras.saving.load_model` works after a plain `import
kerastoolkit` even for classes whose module is not imported yet. Importing the
real module registers the real class over the stand-in.
"""

import importlib

import keras


def lazy_attributes(package, names, namespace):
    """A module `__getattr__` and `__dir__` serving `names` from their modules.

    Args:
        package: the package's `__name__` (for error messages).
        names: a dict from public name to the module that defines it, e.g.
            `{"SubwordTokenizer": "kerastoolkit.text.subword_tokenizer"}`; a
            name that maps to the package's own sub-module of that name
            (`{"tfds_builders": "kerastoolkit.datasets.tfds_builders"}`)
            serves the module itself.
        namespace: the package's `globals()`; a name is cached there once
            loaded, so the module is imported once.

    Returns:
        `(__getattr__, __dir__)` to assign at the package's top level.
    """

    def __getattr__(name):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(names[name])
        value = module if names[name] == f"{package}.{name}" else getattr(module, name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__


def register_lazily(name, module, package="kerastoolkit"):
    """Registers `package>name` for Keras, importing `module` on first use.

    Args:
        name: the class name, as registered by the real class's
            `@keras.saving.register_keras_serializable(package=package)`.
        module: the module that defines the class.
        package: the registration package.

    Returns:
        The stand-in class that was registered (replaced by the real class
        when `module` is imported).
    """
    registered = f"{package}>{name}"
    current = keras.saving.get_custom_objects().get(registered)
    if current is not None and not getattr(current, "_lazy_stand_in", False):
        return current  # the real class is registered already

    def real_class():
        cls = getattr(importlib.import_module(module), name)
        if keras.saving.get_custom_objects().get(registered) is not cls:
            raise TypeError(
                f"{module}.{name} is not registered as {registered!r}: "
                "register it with keras.saving.register_keras_serializable("
                f"package={package!r})."
            )
        return cls

    def from_config(cls, config):
        return real_class().from_config(config)

    stand_in = type(
        name,
        (),
        {
            "__doc__": f"Stand-in for `{module}.{name}`, imported on first use.",
            "__module__": module,
            "_lazy_stand_in": True,
            "from_config": classmethod(from_config),
            "get_config": lambda self: {},
        },
    )
    return keras.saving.register_keras_serializable(package=package, name=name)(
        stand_in
    )
