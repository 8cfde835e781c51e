"""Moved to :mod:`core.runtime.device`; this name stays importable (older code, pickled paths).

The module object IS :mod:`core.runtime.device` (not a copy), so patching an attribute here patches it there.
"""

import sys

import core.runtime.device as _moved

sys.modules[__name__] = _moved
