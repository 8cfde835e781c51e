"""An allow-list unpickler for data files.

``pickle.load`` runs whatever callable a file names, so a data set downloaded from somewhere could
execute code. MMSA pickles only ever need numpy arrays (and their dtypes and scalars) inside plain
dicts, lists and tuples, so those are the only globals this unpickler resolves; anything else is
refused with :class:`UnsafePickleError` naming the global. Elements of object arrays (MMSA's
``raw_text`` and ``id``) go through the same check, since numpy unpickles them with this
unpickler's ``find_class``.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from core.errors import DataError, UnsafePickleError


def _numpy_core() -> tuple[Any, Any]:
    """numpy 2 moved ``numpy.core`` to ``numpy._core``; files written by either must load."""
    try:
        from numpy._core import multiarray, numeric  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray, numeric  # type: ignore[no-redef]
    return multiarray, numeric


def _allowed_globals() -> dict[tuple[str, str], Any]:
    multiarray, numeric = _numpy_core()
    numpy_globals = {
        "_reconstruct": multiarray._reconstruct,  # ndarray.__reduce__ (protocols 0-4)
        "scalar": multiarray.scalar,  # numpy scalars such as np.float32(1.5)
        "_frombuffer": numeric._frombuffer,  # ndarray with protocol 5 out-of-band buffers
    }
    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }
    # The same functions under the module paths numpy 1 and numpy 2 write.
    for module in ("numpy.core.multiarray", "numpy._core.multiarray", "numpy.core.numeric", "numpy._core.numeric"):
        for name, function in numpy_globals.items():
            allowed[(module, name)] = function
    # numpy 2 pickles dtypes of concrete classes (e.g. numpy.dtypes.Float64DType) via numpy.dtype,
    # but be lenient with files that name the class directly.
    dtypes = getattr(np, "dtypes", None)  # numpy >= 1.25
    for name in dir(dtypes) if dtypes is not None else []:
        if name.endswith("DType"):
            allowed[("numpy.dtypes", name)] = getattr(dtypes, name)
    # Plain containers and scalars that need a global (dict/list/tuple/str/int/float do not).
    builtins_allowed = {"set": set, "frozenset": frozenset, "complex": complex, "bytearray": bytearray,
                        "slice": slice, "range": range}
    for module in ("builtins", "__builtin__"):  # __builtin__ is what Python 2 era pickles name
        for name, value in builtins_allowed.items():
            allowed[(module, name)] = value
    allowed[("collections", "OrderedDict")] = __import__("collections").OrderedDict
    # Protocol 2 stores ``bytes`` as _codecs.encode(str, "latin1"); encoding text runs no code.
    allowed[("_codecs", "encode")] = __import__("_codecs").encode
    return allowed


_ALLOWED = _allowed_globals()


class SafeUnpickler(pickle.Unpickler):
    """Resolves only the globals in the allow-list; refuses every other one."""

    def __init__(self, file: BinaryIO, source: str) -> None:
        super().__init__(file)
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"{self._source}: refuses to unpickle {module}.{name} "
                "(only numpy arrays and plain containers are allowed)"
            ) from None


def safe_loads(data: bytes, source: str = "<bytes>") -> Any:
    """Unpickle ``data`` with the allow-list; ``source`` names it in error messages."""
    return _load(io.BytesIO(data), source)


def safe_load(path: str | Path) -> Any:
    """Unpickle a file with the allow-list, turning every failure into a one-line DataError."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise DataError(f"{source}: no such file; check the path")
    if path.is_dir():
        raise DataError(f"{source}: is a directory, not a pickle file; pass the .pkl file inside it")
    try:
        with path.open("rb") as handle:
            return _load(handle, source)
    except PermissionError:
        raise DataError(f"{source}: cannot read the file (permission denied); check its permissions") from None
    except OSError as error:
        raise DataError(f"{source}: cannot read the file ({error.strerror or error}); check the path") from None


def _load(handle: BinaryIO, source: str) -> Any:
    try:
        return SafeUnpickler(handle, source).load()
    except UnsafePickleError:
        raise
    except (EOFError, pickle.UnpicklingError) as error:
        if isinstance(error, EOFError) or "truncated" in str(error):
            raise DataError(f"{source}: not a pickle, or a truncated one (it ends early); "
                            "expected an MMSA pickle such as unaligned_50.pkl") from None
        raise DataError(f"{source}: not a pickle (cannot be unpickled); "
                        "expected an MMSA pickle such as unaligned_50.pkl") from None
    except (ValueError, TypeError, AttributeError, IndexError, KeyError,
            UnicodeDecodeError, OverflowError, MemoryError):
        # The reason text varies with the garbage; the one line says what the user needs to know.
        raise DataError(f"{source}: not a pickle (cannot be unpickled); "
                        "expected an MMSA pickle such as unaligned_50.pkl") from None
