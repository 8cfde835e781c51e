"""Moved to :mod:`core.text.bert_module`; this name stays importable (older code, pickled paths).

The module object IS :mod:`core.text.bert_module` (not a copy), so patching an attribute here patches it there.
"""

import sys

import core.text.bert_module as _moved

sys.modules[__name__] = _moved
