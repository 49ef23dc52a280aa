"""Helpers for the GAN coursework notebooks: data, models, training, plotting, assessment."""

__version__ = "0.1.0"
