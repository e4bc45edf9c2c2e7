"""Detente: track political prisoners and the agreements made to free them."""

__version__ = "0.1.0"
