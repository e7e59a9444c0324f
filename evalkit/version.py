"""The engine version (one place: the package, the manifest and every page read it)."""

__version__ = "0.1.0"
