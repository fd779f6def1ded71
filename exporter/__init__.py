"""exporter: one article model, many publishing formats."""

__version__ = "0.1.0"
