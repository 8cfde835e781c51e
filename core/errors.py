"""User-facing errors.

Every mistake a user can make (a missing file, a bad pickle, a checkpoint for other dims, CUDA
asked for but absent, ...) raises a subclass of :class:`SentiError` whose message is ONE line
naming the file, the thing that is wrong and the remedy. The CLI prints it and exits 2; the TUI
shows it as a notification. Anything else is a bug and may show a traceback.
"""

from __future__ import annotations


class SentiError(Exception):
    """A user's mistake, explained in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # guarantee a single line


class DataError(SentiError):
    """A data file that cannot be used (missing, not a pickle, wrong keys/shapes, ...)."""


class UnsafePickleError(DataError):
    """A pickle that asks for a global outside the allow-list."""


class EncoderUnavailable(SentiError):
    """A pretrained text encoder that is not available offline."""


class CheckpointError(SentiError):
    """A checkpoint that is missing, of another format version, or for other feature dims."""


class ConfigError(SentiError):
    """An unknown model, preset, device or option value."""


class DataWarning(UserWarning):
    """Something in the data was repaired (e.g. -inf/NaN features set to 0); one line, no stop."""
