"""Fuzzing the loaders (issue 11): random byte mutations of a valid small MMSA pickle and of a
valid label.csv (fixed seed, a few hundred cases each) never give a traceback: every file either
loads or is refused with a one-line DataError; none takes long or allocates much."""

from __future__ import annotations

import pickle
import random
import time
import warnings

import numpy as np
import pytest

from core.data.labelcsv import load_label_csv
from core.data.mmsa import load_mmsa_pickle
from core.errors import DataError
from tests.data_files import GOOD_CSV_ROWS, csv_text, small_mmsa

CASES = 300
SEED = 20251130


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to eight edits: flip, overwrite, insert, delete, duplicate a span, or truncate."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not buffer:
            break
        at = rng.randrange(len(buffer))
        choice = rng.random()
        if choice < 0.35:
            buffer[at] ^= 1 << rng.randrange(8)
        elif choice < 0.55:
            buffer[at] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)])
        elif choice < 0.7:
            buffer[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice < 0.82:
            del buffer[at : at + rng.randint(1, 16)]
        elif choice < 0.92:
            span = buffer[at : at + rng.randint(1, 32)]
            buffer[rng.randrange(len(buffer)) : 0] = span
        else:
            del buffer[at:]
    return bytes(buffer)


def outcomes(load, original: bytes, path, rng: random.Random) -> dict[str, int]:
    counts = {"loaded": 0, "refused": 0}
    for index in range(CASES):
        data = mutate(original, rng)
        path.write_bytes(data)
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # repairs (NaN set to 0, an unknown family) are warnings, not failures
                load(path)
            counts["loaded"] += 1
        except DataError as error:
            message = str(error)
            assert message and "\n" not in message and message.startswith(str(path)), (index, message)
            counts["refused"] += 1
        except Exception as error:  # noqa: BLE001 - the failure this test exists to find
            pytest.fail(f"case {index}: {type(error).__name__}: {error} (bytes: {data[:80]!r}...)")
        assert time.perf_counter() - started < 5, index
    return counts


def test_mutated_pickles_never_give_a_traceback(tmp_path):
    original = pickle.dumps(small_mmsa(), protocol=4)
    path = tmp_path / "mosi" / "fuzzed.pkl"
    path.parent.mkdir()
    counts = outcomes(load_mmsa_pickle, original, path, random.Random(SEED))
    assert counts["refused"] > CASES // 2  # most mutations break the file; some only change values
    print(f"pickle fuzz: {counts}")


def test_mutated_pickles_protocol_2(tmp_path):
    original = pickle.dumps(small_mmsa(), protocol=2)  # text opcodes, _codecs.encode for the bytes
    path = tmp_path / "mosi" / "fuzzed.pkl"
    path.parent.mkdir()
    counts = outcomes(load_mmsa_pickle, original, path, random.Random(SEED + 1))
    print(f"pickle (protocol 2) fuzz: {counts}")


def test_mutated_label_csvs_never_give_a_traceback(tmp_path):
    rows = [*GOOD_CSV_ROWS, ("v4", 3, "naïve café, “quoted” text", -0.4, "test")]
    original = csv_text(rows).encode("utf-8")
    path = tmp_path / "label.csv"
    counts = outcomes(lambda p: load_label_csv(p, None), original, path, random.Random(SEED + 2))
    assert counts["refused"] > 0 and counts["loaded"] > 0
    print(f"label.csv fuzz: {counts}")


def test_the_mutations_are_fixed_by_the_seed():
    original = pickle.dumps(small_mmsa(), protocol=4)
    first = [mutate(original, rng) for rng in [random.Random(SEED)] for _ in range(5)]
    again = [mutate(original, rng) for rng in [random.Random(SEED)] for _ in range(5)]
    assert first == again and len({len(m) for m in first}) > 1
    assert np.all([m != original for m in first])
