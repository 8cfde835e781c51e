"""The science of senti-tui: data, missingness, models, losses, metrics, training, evaluation, probing.

Imports torch, numpy and transformers; never imports textual or typer.
"""
