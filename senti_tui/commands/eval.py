"""``senti-tui eval CKPT [CKPT ...]``: robustness tables, curves and an overall/AUC summary.

The sweep itself is :func:`core.evaluation.evaluate_checkpoints`, which returns plain result
objects; :mod:`senti_tui.reports.eval_report` lays them out (tables per protocol, plotext curves,
the overall/AUC summary, SYNTHETIC / TEST-SELECTED labels). This module parses the options, runs
the sweep with a progress bar and writes the files. ``--out`` writes JSON or CSV with
the full metadata. A user mistake is one line on stderr and exit 2 (:mod:`senti_tui.cli`).
torch is imported only inside core, when the command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from core.errors import ConfigError
from senti_tui.reports.eval_report import show_report


def register(app: typer.Typer) -> None:
    app.command(
        "eval", help="Robustness of checkpoints over missing rates, droprates or modality modes: tables, curves, JSON/CSV."
    )(evaluate)


def evaluate(
    checkpoints: list[str] = typer.Argument(
        ...,
        metavar="CKPT...",
        help="Checkpoints written by senti-tui train, or run folders (a folder of seed-N runs: each run's best).",
    ),
    protocol: list[str] | None = typer.Option(
        None,
        "--protocol",
        help="rates | droprates | modes (repeatable, or comma-separated), or lnln-paper (LNLN's robust evaluation: rates at mask seed 1111 "
        "over training seeds)  [default: rates]",
    ),
    seeds: str | None = typer.Option(
        None, "--seeds", help="Mask seeds, comma-separated.  [default: 1111,1112,1113; with lnln-paper: 1111]"
    ),
    data: str | None = typer.Option(None, "--data", help="The data file, when it moved since training (same data)."),
    split: str = typer.Option("test", "--split", help="Split to evaluate."),
    out: str | None = typer.Option(None, "--out", help="Write results.json or results.csv with full metadata."),
    figure: str | None = typer.Option(
        None,
        "--figure",
        help="Draw each metric against the rate (± std bands; modes as grouped bars) to FILE.pdf, .png or .svg (needs the extra senti-tui\\[figures]).",
    ),
    per_utterance: str | None = typer.Option(
        None,
        "--per-utterance",
        help="Write every prediction (one row per checkpoint, setting, mask seed and utterance) to FILE.csv or FILE.parquet (parquet: senti-tui\\[parquet]).",
    ),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda | cuda:N | auto"),
    precision: str = typer.Option(
        "auto", "--precision", help="fp32 | bf16 | auto (auto: bf16 on a CUDA GPU that supports it, else fp32)."
    ),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Draw the curves in the terminal."),
) -> None:
    """Evaluate checkpoints under the robustness protocols. Checkpoints differing only in their
    training seed are one model: mean ± std over training seeds (the mask-seed spread beside it);
    any other checkpoint: mean ± std over mask seeds. A run folder (or a folder of seed-* runs)
    stands for its best checkpoints."""
    seed_list = parse_seeds(seeds) if seeds is not None else None
    if out is not None and Path(out).suffix.lower() not in (".json", ".csv"):
        raise ConfigError(f"{out}: --out must end in .json or .csv")
    from core.evaluation import check_writable, evaluate_checkpoints, expand_checkpoints

    if out is not None:
        check_writable(out)  # before the sweep, not after it
    if per_utterance is not None:
        from core.per_utterance import check_path

        check_writable(check_path(per_utterance))
    if figure is not None:
        from core.figures import check_path as check_figure

        check_writable(check_figure(figure))

    protocols = tuple(name.strip() for item in (protocol or ["rates"]) for name in item.split(",") if name.strip())
    if seed_list is None:
        from core.evaluation.definitions import DEFAULT_SEEDS, LNLN_PAPER_SEED

        seed_list = [LNLN_PAPER_SEED] if "lnln-paper" in protocols else list(DEFAULT_SEEDS)
    with _progress() as advance:
        report = evaluate_checkpoints(
            expand_checkpoints(checkpoints, paper="lnln-paper" in protocols),
            protocols=protocols,
            seeds=seed_list,
            data=data,
            split=split,
            device=device,
            progress=advance,
            precision=precision,
            per_utterance=per_utterance is not None,
        )
    show_report(report, plot=plot)
    if out is not None:
        path = report.to_json(out) if Path(out).suffix.lower() == ".json" else report.to_csv(out)
        typer.echo(f"wrote {path}")
    if figure is not None:
        from core.figures import save_figure

        typer.echo(f"wrote {save_figure(report, figure)}")
    if per_utterance is not None:
        from core.per_utterance import write

        path = write(report.utterances, per_utterance, provenance=report.metadata.get("provenance"))
        typer.echo(f"wrote {path} ({len(report.utterances):,} rows)")


def parse_seeds(text: str) -> list[int]:
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    try:
        seeds = [int(p) for p in parts]
    except ValueError:
        seeds = []
    if not seeds:
        raise ConfigError(f"--seeds {text!r} is not a list of integers: use e.g. --seeds 1111,1112,1113")
    return seeds


class _progress:
    """A transient rich progress bar on stderr when it is a terminal; silent otherwise."""

    def __enter__(self):
        self._bar = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True
            )
            self._bar.start()
            self._task = self._bar.add_task("evaluating", total=None)
        return self.advance

    def advance(self, done: int, total: int, label: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total, description=f"evaluating {label}")

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
