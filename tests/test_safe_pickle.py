"""The allow-list unpickler: numpy arrays and plain containers load, anything else is refused."""

from __future__ import annotations

import collections
import os
import pickle
import subprocess

import numpy as np
import pytest

from core.data.safe_pickle import safe_load, safe_loads
from core.errors import DataError, UnsafePickleError

PROTOCOLS = range(0, pickle.HIGHEST_PROTOCOL + 1)


def allowed_payload() -> dict:
    return {
        "float32": np.arange(12, dtype=np.float32).reshape(3, 4),
        "float64_fortran": np.asfortranarray(np.ones((2, 3))),
        "int64": np.arange(5),
        "bool": np.array([True, False]),
        "unicode": np.array(["a", "bb"]),
        "objects": np.array(["vid$_$1", "some raw text"], dtype=object),
        "record": np.zeros(2, dtype=[("x", "f4"), ("y", "i8")]),
        "scalars": [np.float32(1.5), np.int64(3), np.bool_(True), np.float64(np.nan)],
        "dtype": np.dtype("float64"),
        "containers": (1, 2.5, "s", b"raw", None, {1, 2}, frozenset({3}), complex(1, 2), bytearray(b"x")),
        "ordered": collections.OrderedDict(a=1),
        "neg_inf": np.array([-np.inf, 1.0]),
    }


def assert_same(a, b) -> None:
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(a, b)
        else:
            assert a.tolist() == b.tolist()
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and a != a:
        assert b != b
    else:
        assert a == b and type(a) is type(b)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_numpy_and_plain_containers_round_trip(protocol):
    payload = allowed_payload()
    assert_same(payload, safe_loads(pickle.dumps(payload, protocol=protocol)))


def test_protocol_5_in_band_buffers():
    """Protocol 5 rebuilds contiguous arrays with numpy's _frombuffer."""
    array = np.arange(10, dtype=np.float32)
    np.testing.assert_array_equal(safe_loads(pickle.dumps(array, protocol=5)), array)


def test_numpy1_module_paths_are_accepted():
    """Files written under numpy 1 name numpy.core.multiarray; they must load under numpy 2."""
    data = pickle.dumps(np.arange(3, dtype=np.int64), protocol=2)
    renamed = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert renamed != data
    np.testing.assert_array_equal(safe_loads(renamed), np.arange(3))


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/senti_tui_pwned",))


class _Custom:
    pass


@pytest.mark.parametrize(
    ("obj", "global_name"),
    [
        (_Evil(), "posix.system"),
        (subprocess.Popen, "subprocess.Popen"),
        (_Custom(), f"{__name__}._Custom"),
        (eval, "builtins.eval"),
        (getattr, "builtins.getattr"),
    ],
)
def test_anything_else_is_refused_with_its_name(obj, global_name):
    data = pickle.dumps({"train": {"audio": np.zeros(2), "x": obj}}, protocol=4)
    with pytest.raises(UnsafePickleError) as info:
        safe_loads(data, source="evil.pkl")
    assert str(info.value) == (
        f"evil.pkl: refuses to unpickle {global_name} (only numpy arrays and plain containers are allowed)"
    )
    assert not os.path.exists("/tmp/senti_tui_pwned")


def test_object_array_elements_are_checked_too():
    data = pickle.dumps(np.array([_Custom()], dtype=object), protocol=4)
    with pytest.raises(UnsafePickleError, match=r"_Custom"):
        safe_loads(data)


class _ForgedObjectArray:
    """Only allowed globals, but an object array whose state is raw bytes (i.e. fake pointers)."""

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        return (_reconstruct, (np.ndarray, (0,), b"b"), (1, (2,), np.dtype("O"), False, b"A" * 16))


def test_forged_object_array_is_refused_by_numpy():
    data = pickle.dumps(_ForgedObjectArray(), protocol=4)
    with pytest.raises(DataError) as info:
        safe_loads(data, source="forged.pkl")
    assert str(info.value) == "forged.pkl: not a pickle (cannot be unpickled); expected an MMSA pickle such as unaligned_50.pkl"


def test_file_errors(tmp_path):
    with pytest.raises(DataError, match=r"no such file"):
        safe_load(tmp_path / "nope.pkl")
    good = tmp_path / "good.pkl"
    good.write_bytes(pickle.dumps({"a": np.ones(2)}))
    assert safe_load(good)["a"].tolist() == [1.0, 1.0]
