"""Retrieval-augmented answers over GFMD reports, every claim quoted verbatim with its citation."""

__version__ = "0.1.0"
