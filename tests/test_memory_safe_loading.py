"""Loading that cannot exhaust the machine (issue 11): pickles that ask allowed callables for
gigabytes, declare more bytes than they hold, nest 50,000 levels deep, name an unknown or an
expanding codec, or are a FIFO -- each refused in one line, fast, and under a 1.2 GB address-space
cap no bad file makes ``data check`` fail for lack of memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.data.mmsa import load_mmsa_pickle
from core.data.safe_pickle import safe_load
from core.errors import DataError
from tests.data_files import bad_corpus, bad_csv_corpus, bomb_corpus, fifo_case

SENTI_TUI = Path(sys.executable).with_name("senti-tui")
CAP = 1_200_000_000


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    return bomb_corpus(tmp_path_factory.mktemp("bombs"))


def test_the_corpus_covers_the_issue(bombs):
    assert len(bombs) >= 14 and all(case.path.stat().st_size < 200_000 for case in bombs)


@pytest.mark.parametrize("index", range(14))
def test_each_bomb_is_one_exact_line_and_fast(bombs, index):
    case = bombs[index]
    started = time.perf_counter()
    with pytest.raises(DataError) as error:
        load_mmsa_pickle(case.path)
    assert str(error.value) == case.message, case.name
    assert "\n" not in str(error.value)
    assert time.perf_counter() - started < 5.0, case.name


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    case = fifo_case(tmp_path)
    with pytest.raises(DataError) as error:
        safe_load(case.path)  # would block forever in open() if it were opened
    assert str(error.value) == case.message


def test_a_fifo_as_a_label_csv_is_refused_too(tmp_path):
    path = tmp_path / "label.csv"
    os.mkfifo(path)
    from core.data.labelcsv import read_label_csv

    with pytest.raises(DataError) as error:
        read_label_csv(path)
    assert str(error.value) == f"{path}: is not a regular file (a FIFO, device or socket); pass the label.csv file itself"


@pytest.mark.slow
def test_data_check_on_a_fifo_returns(tmp_path):
    case = fifo_case(tmp_path)
    result = subprocess.run([str(SENTI_TUI), "data", "check", str(case.path)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {case.message}\n")


def test_every_bomb_through_the_cli(run_cli, bombs):
    for case in bombs:
        code, out, err = run_cli("data", "check", str(case.path))
        assert (code, out, err) == (2, "", f"error: {case.message}\n"), case.name


CAPPED = textwrap.dedent(
    """
    import contextlib, io, json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
    from senti_tui import cli
    results = []
    for args in json.loads(sys.argv[1]):
        sys.argv = ["senti-tui", "data", "check", *args]
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                cli.main()
                code = 0
            except SystemExit as exit_:
                code = exit_.code
            except MemoryError:
                code = "MemoryError"
        results.append([code, err.getvalue()])
    # VmHWM: this process's own peak. ru_maxrss would also count the pytest process it was forked
    # from (Linux keeps the pre-exec high-water mark), which grows with the tests run before.
    try:
        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({{"results": results, "peak": peak}}))
    """
)


@pytest.mark.slow
def test_no_bad_file_needs_more_than_1_2_gb(tmp_path):
    cases = bomb_corpus(tmp_path) + bad_corpus(tmp_path) + bad_csv_corpus(tmp_path) + [fifo_case(tmp_path)]
    args = [[str(c.path)] + (["--text-encoder", "scratch"] if c.path.suffix == ".csv" else []) for c in cases]
    script = tmp_path / "capped.py"
    script.write_text(CAPPED.format(cap=CAP))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, str(script), json.dumps(args)], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    for case, (code, err) in zip(cases, report["results"]):
        assert (code, err) == (2, f"error: {case.message}\n"), case.name
    print(f"peak resident memory over {len(cases)} bad files: {report['peak'] / 1e6:.0f} MB (cap {CAP / 1e9:.1f} GB)")
    assert report["peak"] < CAP
