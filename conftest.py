"""pytest settings for the whole repository, so that ``pytest --nbval-lax notebooks/`` works as typed.

Under pytest the notebooks run in fast mode (a few hundred steps) unless ``GAN_FAST`` says otherwise:
``GAN_FAST=0 pytest --nbval-lax notebooks/`` runs them at full length (hours). pyproject.toml adds
``--nbval-current-env``, so the notebooks' kernel is pytest's own Python, whatever kernelspec a venv has.
"""
import os

os.environ.setdefault("GAN_FAST", "1")
