"""The version of csctp, in one place: the package, the build (pyproject.toml) and the CLI read it."""

__version__ = "0.1.0"
