"""Moved to :mod:`core.runtime.inference`; this name stays importable (older code, pickled paths).

The module object IS :mod:`core.runtime.inference` (not a copy), so patching an attribute here patches it there.
"""

import sys

import core.runtime.inference as _moved

sys.modules[__name__] = _moved
