"""Probing trained checkpoints: one utterance under chosen settings, or the whole split.

The explorer talks to core only through this package: :class:`core.probe.session.Probe` and the
plain result types in :mod:`core.probe.types` (lists, floats and strings; no tensors).
"""
