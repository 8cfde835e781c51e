"""Moved to :mod:`core.text.encoders`; this name stays importable (older code, pickled paths).

The module object IS :mod:`core.text.encoders` (not a copy), so patching an attribute here patches it there.
"""

import sys

import core.text.encoders as _moved

sys.modules[__name__] = _moved
