"""nnlib: a small, readable NumPy library for learning how neural networks are trained."""

__version__ = "0.1.0"
