"""An allow-list unpickler for data files, that also bounds what a file can make it allocate.

``pickle.load`` runs whatever callable a file names, so a data set downloaded from somewhere could
execute code. MMSA pickles only ever need numpy arrays (and their dtypes and scalars) inside plain
dicts, lists and tuples, so those are the only globals this unpickler resolves; anything else is
refused with :class:`UnsafePickleError` naming the global. Elements of object arrays (MMSA's
``raw_text`` and ``id``) go through the same check, since numpy unpickles them with this
unpickler's ``find_class``.

Memory: some allowed callables build objects whose size the file chooses, not the file's bytes
(``bytearray(10**10)``, ``frozenset(range(10**10))``, ``numpy.ndarray((10**10,))``, an object
array whose state declares a huge shape, a ``BYTEARRAY8`` declaring more bytes than the file
has). So the callables are wrapped: a container is built only from data already read, an array
only when its bytes fit in the file (real pickles create arrays empty and fill them from the
file), an array's state must match its shape before numpy allocates it, and a declared length
must fit in what is left of the file. Everything else is bounded by the file's size. The pure
Python unpickler runs the opcodes, so these checks sit between opcode and allocation (it is as
fast as the C one on MMSA files: their bulk is a few large byte strings). Every failure is one
line (:class:`DataError`).
"""

from __future__ import annotations

import io
import math
import pickle
import stat
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from core.errors import DataError, UnsafePickleError

MAX_DEPTH = 1000  # containers nested deeper than this are no MMSA pickle (and overflow str/repr)
_TEXT_CODECS = {"latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1", "ascii", "utf-8", "utf8"}


def _numpy_core() -> tuple[Any, Any]:
    """numpy 2 moved ``numpy.core`` to ``numpy._core``; files written by either must load."""
    try:
        from numpy._core import multiarray, numeric  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray, numeric  # type: ignore[no-redef]
    return multiarray, numeric


class _Refused(Exception):
    """A guard's refusal; :func:`_load` words it as one line naming the file."""


class _Guards:
    """The size-checked versions of the allowed callables, for one file of ``budget`` bytes."""

    def __init__(self, size: int) -> None:
        self.size = int(size)
        self.budget = max(self.size, 1 << 16)  # arrays are created empty, then filled from the file

    def nbytes(self, shape: Any, dtype: Any, what: str) -> None:
        try:
            dims = [int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,))]
            itemsize = np.dtype(dtype if dtype is not None else float).itemsize
        except (TypeError, ValueError, OverflowError):
            return  # numpy refuses it itself, before allocating
        if any(d < 0 for d in dims):
            return
        size = math.prod(dims) * itemsize
        if size > self.budget:
            raise _Refused(f"asks for {what} of {_human(size)}, more than its {_human(self.size)} could fill")

    # --- callables a pickle may name ---------------------------------------------------------
    def ndarray(self, shape=(), dtype=float, buffer=None, offset=0, strides=None, order=None):
        if buffer is None:
            self.nbytes(shape, dtype, "an empty numpy array")
        return np.ndarray(shape, dtype, buffer, offset, strides, order)

    def reconstruct(self, subtype, shape, dtype):
        if subtype != self.ndarray and subtype is not np.ndarray:
            raise _Refused(f"asks numpy to rebuild an array of type {getattr(subtype, '__name__', subtype)!r}")
        self.nbytes(shape, dtype if isinstance(dtype, np.dtype) else np.uint8, "an empty numpy array")
        return _RECONSTRUCT(np.ndarray, shape, dtype)

    @staticmethod
    def _materialised(name: str, items: Any) -> Any:
        # a list/tuple/set was read from the file, so its size is the file's; a range is not
        if not isinstance(items, (list, tuple, set, frozenset, dict, str, bytes, bytearray)):
            raise _Refused(f"asks to fill a {name} from a {type(items).__name__}, whose size the file does not hold")
        return items

    def set(self, items=()):
        return set(self._materialised("set", items))

    def frozenset(self, items=()):
        return frozenset(self._materialised("frozenset", items))

    def bytearray(self, source=b"", encoding=None, errors="strict"):
        if isinstance(source, str):
            return bytearray(self.encode(source, encoding or "utf-8", errors))
        if not isinstance(source, (bytes, bytearray)):
            raise _Refused(f"asks for a bytearray from a {type(source).__name__} (only bytes are stored that way)")
        return bytearray(source)

    def encode(self, obj, encoding="utf-8", errors="strict"):
        """``_codecs.encode``: protocols 0-2 store bytes as ``encode(text, "latin1")``."""
        if not isinstance(encoding, str) or encoding.lower().replace("_", "-") not in _TEXT_CODECS:
            raise _Refused(f"asks to encode with the codec {encoding!r} (pickles only use latin1)")
        if not isinstance(obj, str) or not isinstance(errors, str):
            raise _Refused("asks to encode something that is not text")
        return _CODECS_ENCODE(obj, encoding, errors)


_MULTIARRAY, _NUMERIC = _numpy_core()
_RECONSTRUCT = _MULTIARRAY._reconstruct
_CODECS_ENCODE = __import__("_codecs").encode


def _allowed_globals(guards: _Guards) -> dict[tuple[str, str], Any]:
    numpy_globals = {
        "_reconstruct": guards.reconstruct,  # ndarray.__reduce__ (protocols 0-4)
        "scalar": _MULTIARRAY.scalar,  # numpy scalars such as np.float32(1.5); numpy checks the data's size
        "_frombuffer": _NUMERIC._frombuffer,  # ndarray with protocol 5 buffers: a view, no allocation
    }
    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): guards.ndarray,  # not the class: NEWOBJ could allocate with it
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
    builtins_allowed = {
        "set": guards.set,
        "frozenset": guards.frozenset,
        "complex": complex,
        "bytearray": guards.bytearray,
        "slice": slice,
        "range": range,
    }
    for module in ("builtins", "__builtin__"):  # __builtin__ is what Python 2 era pickles name
        for name, value in builtins_allowed.items():
            allowed[(module, name)] = value
    allowed[("collections", "OrderedDict")] = __import__("collections").OrderedDict
    # Protocols 0-2 store ``bytes`` as _codecs.encode(str, "latin1"); only text codecs are allowed.
    allowed[("_codecs", "encode")] = guards.encode
    return allowed


def _human(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} bytes"


class _BoundedReader:
    """The file, read no further than its size: a declared length never makes a read allocate
    more than what is left."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self._handle = handle
        self._left = size

    @property
    def left(self) -> int:
        return self._left

    def read(self, n: int = -1) -> bytes:
        n = self._left if n is None or n < 0 else min(n, self._left)
        data = self._handle.read(n)
        self._left -= len(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        line = self._handle.readline(self._left if limit is None or limit < 0 else min(limit, self._left))
        self._left -= len(line)
        return line

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


_PyUnpickler: Any = pickle._Unpickler  # typeshed lacks its internals (read, append, stack, metastack, load_*)


class SafeUnpickler(_PyUnpickler):  # the pure-Python one: opcodes are checked
    """Resolves only the globals in the allow-list (size-guarded); refuses every other one."""

    dispatch = dict(_PyUnpickler.dispatch)

    def __init__(self, file: BinaryIO, source: str, size: int) -> None:
        self._reader = _BoundedReader(file, size)
        super().__init__(self._reader)
        self._source = source
        self._guards = _Guards(size)
        self._allowed = _allowed_globals(self._guards)

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except (KeyError, TypeError):
            raise UnsafePickleError(
                f"{self._source}: refuses to unpickle {module}.{name} (only numpy arrays and plain containers are allowed)"
            ) from None

    # --- opcodes whose declared sizes or states are checked before anything is allocated -----
    def _declared(self, length: int) -> int:
        frame = getattr(getattr(self, "_unframer", None), "current_frame", None)
        in_frame = len(frame.getbuffer()) - frame.tell() if frame is not None else 0
        if length > self._reader.left + in_frame:
            raise EOFError  # it declares more bytes than the file has left: a truncated or forged file
        return length

    def load_bytearray8(self) -> None:
        (length,) = struct.unpack("<Q", self.read(8))
        self.append(bytearray(self.read(self._declared(length))))

    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8

    def load_build(self) -> None:
        if isinstance(self.stack[-2], np.ndarray):
            _check_array_state(self.stack[-1], self._source)
        super().load_build()

    dispatch[pickle.BUILD[0]] = load_build

    def load_mark(self) -> None:
        if len(self.metastack) >= MAX_DEPTH:
            raise _Refused(f"nests containers more than {MAX_DEPTH} levels deep")
        super().load_mark()

    dispatch[pickle.MARK[0]] = load_mark


def _check_array_state(state: Any, source: str) -> None:
    """``ndarray.__setstate__`` allocates the declared shape before it reads the data: check first."""
    if not isinstance(state, tuple) or len(state) not in (4, 5):
        raise _ArrayMismatch("an array state that is not numpy's")
    shape, dtype, _fortran, data = state[-4:]
    try:
        dims = [int(d) for d in shape]
    except (TypeError, ValueError):
        raise _ArrayMismatch(f"the shape {shape!r}") from None
    if not isinstance(dtype, np.dtype) or any(d < 0 for d in dims):
        raise _ArrayMismatch(f"the shape {list(dims)} of dtype {dtype!r}")
    count = math.prod(dims)
    if dtype.hasobject:
        if not isinstance(data, list):  # raw bytes as object pointers: a forged file
            raise pickle.UnpicklingError("an object array stored as bytes")
        if len(data) != count:
            raise _ArrayMismatch(f"the shape {dims} ({count:,} objects) with {len(data):,} stored")
    else:
        if isinstance(data, str):  # Python 2 era pickles store the bytes as latin-1 text
            data = data.encode("latin-1", "replace")
        if not isinstance(data, (bytes, bytearray)) or len(data) != count * dtype.itemsize:
            have = f"{len(data):,} bytes" if isinstance(data, (bytes, bytearray)) else f"a {type(data).__name__}"
            raise _ArrayMismatch(f"the shape {dims} of {dtype} ({_human(count * dtype.itemsize)}) with {have} of data")


class _ArrayMismatch(Exception):
    pass


def safe_loads(data: bytes, source: str = "<bytes>") -> Any:
    """Unpickle ``data`` with the allow-list; ``source`` names it in error messages."""
    return _load(io.BytesIO(data), source, len(data))


def safe_load(path: str | Path) -> Any:
    """Unpickle a file with the allow-list, turning every failure into a one-line DataError."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise DataError(f"{source}: no such file; check the path")
    if path.is_dir():
        raise DataError(f"{source}: is a directory, not a pickle file; pass the .pkl file inside it")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block forever, a device never end
            raise DataError(f"{source}: is not a regular file (a FIFO, device or socket); pass the .pkl file itself")
        with path.open("rb") as handle:
            return _load(handle, source, info.st_size)
    except PermissionError:
        raise DataError(f"{source}: cannot read the file (permission denied); check its permissions") from None
    except OSError as error:
        raise DataError(f"{source}: cannot read the file ({error.strerror or error}); check the path") from None


def _load(handle: BinaryIO, source: str, size: int) -> Any:
    not_a_pickle = f"{source}: not a pickle (cannot be unpickled); expected an MMSA pickle such as unaligned_50.pkl"
    try:
        return SafeUnpickler(handle, source, size).load()
    except UnsafePickleError:
        raise
    except _Refused as refusal:
        raise DataError(f"{source}: {refusal}; refusing to load it: not an MMSA pickle, or a damaged one") from None
    except _ArrayMismatch as mismatch:
        raise DataError(
            f"{source}: holds a numpy array whose data does not fit its shape ({mismatch}); the file is damaged: get a good copy"
        ) from None
    except (EOFError, pickle.UnpicklingError) as error:
        if isinstance(error, EOFError) or "truncated" in str(error) or "exhausted" in str(error):
            raise DataError(
                f"{source}: not a pickle, or a truncated one (it ends early); expected an MMSA pickle such as unaligned_50.pkl"
            ) from None
        raise DataError(not_a_pickle) from None
    except RecursionError:
        raise DataError(
            f"{source}: nests objects too deeply to be an MMSA pickle; expected an MMSA pickle such as unaligned_50.pkl"
        ) from None
    except MemoryError:
        raise DataError(
            f"{source}: needs more memory than this machine allows to unpickle; free memory, or check that it is an MMSA pickle"
        ) from None
    except Exception:  # noqa: BLE001 - whatever the garbage makes a constructor raise
        # (ValueError, TypeError, struct.error, LookupError, ...): the one line says what the user needs.
        raise DataError(not_a_pickle) from None
