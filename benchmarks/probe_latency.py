"""How fast the probe answers (issue 12 targets, 2-core CPU, the demo checkpoints):

- a slider move (one modality's rate changes by 0.01, the utterance stays): median <= 5 ms and
  p95 <= 10 ms per model;
- the whole test split (686 utterances) re-evaluated after a slider move <= 0.5 s;
- start to first prediction <= 2 s (a fresh Python process importing core, opening the
  checkpoints with their data and probing utterance 0; the explorer adds its UI on top; median
  and p95 of ``--starts`` processes, with their CPU time);
- ``q`` gives the terminal back <= 0.3 s while a whole-split evaluation runs (``--quit``: the real
  ``senti-tui explore`` in a pseudo-terminal; Linux);
- peak memory <= 1 GB.

Run: ``python benchmarks/probe_latency.py [CHECKPOINT ...] [--drags 8] [--steps 25] [--threads N]
[--quit]`` (default: the three demo checkpoints). Reported per model (a probe holding that
checkpoint alone), then all together:

- *slider*: drags of ``--steps`` steps of 0.01 on one modality's slider, each drag on a random
  utterance at random settings; every step is a new setting, but the other two modalities' stages
  (and the moved one's when the step erases nothing new) come from the cache;
- *cold*: every change new (random rates on all modalities, a switch flipped now and then, a
  random utterance): nothing cached can be reused, the worst case;
- *split after a slider move*: the whole split re-evaluated after one modality's rate moved by
  0.05 (the other two modalities' embeddings reused), and *split cold* with everything new.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT = ["checkpoints/demo.pt", "checkpoints/demo_lnln.pt", "checkpoints/demo_dar.pt"]
HINT = "{path} not found: run from the repository root (the demo checkpoints are in checkpoints/)"


def random_settings(rng: random.Random, count: int, seed: int = 1111):
    from core.probe.types import ProbeSettings

    seen, out = set(), []
    while len(out) < count:
        enabled = tuple(rng.random() > 0.15 for _ in range(3))
        rates = tuple(round(rng.random() * 0.95, 2) for _ in range(3))
        if (enabled, rates) in seen:
            continue
        seen.add((enabled, rates))
        out.append(ProbeSettings(enabled=enabled, rates=rates, mask_seed=seed))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def moved(settings, modality: int, rate: float):
    from dataclasses import replace

    rates = list(settings.rates)
    rates[modality] = round(min(max(rate, 0.0), 1.0), 4)
    return replace(
        settings, rates=tuple(rates), enabled=tuple(True if m == modality else e for m, e in enumerate(settings.enabled))
    )


def slider_latency(probe, drags: int, steps: int, rng: random.Random) -> list[float]:
    times = []
    for start in random_settings(rng, drags, seed=rng.randrange(10_000, 20_000)):
        index, modality = rng.randrange(len(probe)), rng.randrange(3)
        direction = 1 if start.rates[modality] < 0.5 else -1
        settings = moved(start, modality, start.rates[modality])
        probe.run(index, settings)  # the drag starts here: the first frame is not a slider move
        for step in range(1, steps + 1):
            settings = moved(settings, modality, start.rates[modality] + direction * 0.01 * step)
            began = time.perf_counter()
            probe.run(index, settings)
            times.append(time.perf_counter() - began)
    return times


def cold_latency(probe, changes: int, rng: random.Random) -> list[float]:
    for settings in random_settings(random.Random(99), 5, seed=7):  # warm-up, other seed: no cache reuse
        probe.run(rng.randrange(len(probe)), settings)
    times = []
    for settings in random_settings(rng, changes, seed=rng.randrange(30_000, 40_000)):
        index = rng.randrange(len(probe))
        began = time.perf_counter()
        probe.run(index, settings)
        times.append(time.perf_counter() - began)
    return times


def split_times(probe, repeats: int, rng: random.Random) -> tuple[list[tuple[int, float]], list[float]]:
    """(after a slider move: (moved modality, seconds), cold) whole-split re-evaluation times; the
    moved modality cycles text, audio, vision (a text move re-runs BERT: the dearest)."""
    after_move, cold = [], []
    for k, settings in enumerate(random_settings(rng, repeats, seed=rng.randrange(40_000, 50_000))):
        began = time.perf_counter()
        probe.evaluate(settings)
        cold.append(time.perf_counter() - began)
        modality = k % 3
        began = time.perf_counter()
        probe.evaluate(moved(settings, modality, settings.rates[modality] + (0.05 if settings.rates[modality] < 0.5 else -0.05)))
        after_move.append((modality, time.perf_counter() - began))
    return after_move, cold


def start_to_first_prediction(paths: list[str]) -> tuple[float, float]:
    """(wall, CPU seconds) of a fresh process that opens ``paths`` and probes utterance 0."""
    code = (
        "from core.probe.session import Probe\nfrom core.probe.types import ProbeSettings\n"
        f"p = Probe.open({paths!r}); p.run(0, ProbeSettings())\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        print(f"start-up run failed: {result.stderr.strip().splitlines()[-1:]}")
        return float("nan"), float("nan")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def quit_latency(paths: list[str]) -> tuple[float, float, float]:
    """The real explorer in a pseudo-terminal: (start to the first result on screen, q to the
    screen restored, q to the process gone), with a whole-split evaluation running at the q."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    exe = str(Path(sys.executable).with_name("senti-tui"))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the explorer
        os.environ["TERM"] = "xterm-256color"
        os.execv(exe, [exe, "explore", *paths])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
    screen = bytearray()

    def pump(seconds: float, until: bytes | None = None) -> bool:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            ready, _, _ = select.select([fd], [], [], max(0.0, end - time.perf_counter()))
            if ready:
                try:
                    data = os.read(fd, 1 << 16)
                except OSError:
                    return False
                screen.extend(data)
                if until is not None and until in screen:
                    return True
        return False

    began = time.perf_counter()
    pump(60, until=b"seed:1111")  # the status line shows the first result
    first = time.perf_counter() - began
    pump(3.0)  # let the first whole-split evaluation finish
    os.write(fd, b"m")  # a new mask: a probe, then a whole-split evaluation after the debounce
    pump(0.45)
    pressed = time.perf_counter()
    os.write(fd, b"q")
    restored = float("nan")
    while True:
        ready, _, _ = select.select([fd], [], [], 0.005)
        if ready:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                data = b""
            if b"\x1b[?1049l" in data and restored != restored:
                restored = time.perf_counter() - pressed
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() - pressed > 30:
            os.kill(pid, 9)
    return first, restored, time.perf_counter() - pressed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", default=DEFAULT)
    parser.add_argument("--drags", type=int, default=8, help="slider drags per probe")
    parser.add_argument("--steps", type=int, default=25, help="steps of 0.01 per drag")
    parser.add_argument("--changes", type=int, default=40, help="cold changes per probe")
    parser.add_argument(
        "--splits", type=int, default=3, help="whole-split re-evaluations per probe (each: cold, then a slider move)"
    )
    parser.add_argument("--starts", type=int, default=5, help="fresh processes timed for start to first prediction")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: the probe's choice)")
    parser.add_argument("--quit", action="store_true", help="also time q in the real explorer (a pseudo-terminal)")
    args = parser.parse_args()
    missing = [p for p in args.checkpoints if not Path(p).is_file()]
    if missing:
        print(HINT.format(path=missing[0]))
        raise SystemExit(1)
    if args.threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)

    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    starts = [start_to_first_prediction(list(args.checkpoints)) for _ in range(max(1, args.starts))]
    quit_figures = quit_latency(list(args.checkpoints)) if args.quit else None
    import torch

    from core.probe.session import Probe

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    rng = random.Random(1234)
    groups = [(Path(p).name, [p]) for p in args.checkpoints]
    if len(args.checkpoints) > 1:
        groups.append(("all together", list(args.checkpoints)))
    print(f"torch threads: {torch.get_num_threads()}")
    walls = [w for w, _ in starts]
    print(
        f"start to first prediction (fresh process, {len(args.checkpoints)} checkpoint(s)): median {statistics.median(walls):.2f} s, "
        f"p95 {percentile(walls, 0.95):.2f} s over {len(walls)} runs, median CPU {statistics.median(c for _, c in starts):.2f} s "
        "(target <= 2 s)"
    )
    if quit_figures is not None:
        shown, restored, gone = quit_figures
        print(
            f"explorer in a pty: first result on screen {shown:.2f} s; q during a split evaluation: "
            f"screen restored {restored:.3f} s, process gone {gone:.3f} s (target <= 0.3 s)"
        )
    for name, paths in groups:
        probe = Probe.open(paths)  # one probe at a time, as the explorer holds one
        k = len(probe.models)
        slider = [1e3 * t for t in slider_latency(probe, args.drags, args.steps, rng)]
        cold = [1e3 * t for t in cold_latency(probe, args.changes, rng)]
        cpu = time.process_time()
        moves, split_cold = split_times(probe, args.splits, rng)
        after_move = [t for _, t in moves]
        by_modality = ", ".join(
            f"{name} {statistics.median(t for m, t in moves if m == i):.2f}"
            for i, name in enumerate(("text", "audio", "vision"))
            if any(m == i for m, _ in moves)
        )
        split_cpu = (time.process_time() - cpu) / max(1, 2 * args.splits)
        per = f" ({k} models)" if k > 1 else ""
        print(
            f"{name} [{', '.join(m.key for m in probe.models)}]{per}:\n"
            f"  slider move: median {statistics.median(slider):.1f} ms, p95 {percentile(slider, 0.95):.1f} ms over {len(slider)} steps"
            f" (per model {statistics.median(slider) / k:.1f} / {percentile(slider, 0.95) / k:.1f} ms; targets 5 / 10)\n"
            f"  cold change: median {statistics.median(cold):.1f} ms, p95 {percentile(cold, 0.95):.1f} ms over {len(cold)} changes\n"
            f"  whole split ({len(probe)}) after a slider move: median {statistics.median(after_move):.2f} s, max {max(after_move):.2f} s"
            f" over {len(after_move)} (median by moved slider: {by_modality} s)"
            f" (target <= 0.5 s); cold: median {statistics.median(split_cold):.2f} s, max {max(split_cold):.2f} s;"
            f" CPU {split_cpu:.2f} s per re-evaluation (both kinds)"
        )
        del probe
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB (target <= 1024 MB)")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
