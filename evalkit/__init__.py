"""evalkit: a scoring engine for evaluating collaborative governance."""

__version__ = "0.1.0"
