"""``senti-tui data synth`` and ``senti-tui data check``.

Both talk to core through plain values: ``core.data.sources.summarize`` returns a dict, which
this module lays out with rich. Data errors are :class:`core.errors.SentiError`; the CLI's main
prints their one line and exits 2.
"""

from __future__ import annotations

import warnings
from typing import Any

import typer

DEFAULT_SYNTH_OUT = "data/synthetic.pkl"


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Write the synthetic data set, or check a data file before training on it.", no_args_is_help=True)
    group.command("synth")(synth)
    group.command("check")(check)
    app.add_typer(group, name="data")


def synth(
    out: str = typer.Option(DEFAULT_SYNTH_OUT, "--out", help="Where to write the MMSA-layout pickle."),
    seed: int = typer.Option(0, "--seed", help="Generator seed (the same seed always gives the same data)."),
) -> None:
    """Write the embedded synthetic data set as an MMSA pickle (readable like MOSI's unaligned_50.pkl)."""
    from core.data.mmsa import write_mmsa_pickle
    from core.data.synthetic import generate_synthetic
    from core.errors import ConfigError

    if seed < 0:
        raise ConfigError(f"--seed {seed} is negative: the generator takes a seed >= 0")
    dataset = generate_synthetic(seed)
    path = write_mmsa_pickle(dataset, out)
    sizes = ", ".join(f"{name} {len(split)}" for name, split in dataset.splits.items())
    typer.echo(f"wrote {path}: synthetic data (seed {seed}; {sizes}; fingerprint {dataset.fingerprint})")


def check(
    path: str = typer.Argument(..., metavar="PATH", help="An MMSA pickle (.pkl), a label.csv (.csv), or 'synthetic'."),
    text_encoder: str | None = typer.Option(
        None, "--text-encoder", help="Tokenizer for a label.csv: minilm (default), scratch, bert-base-uncased or a folder."
    ),
) -> None:
    """Load a data file with every check training does, and print a summary table (exit 0), or one line (exit 2)."""
    from core.data.sources import load_dataset, load_with_encoder, summarize
    from core.errors import DataWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)  # other warnings keep their usual filters
        if text_encoder is None:
            dataset = load_dataset(path)
        else:
            dataset, _ = load_with_encoder(path, text_encoder)
    _replay(caught)
    from core.provenance import sha256_of

    _print_summary({**summarize(dataset), "sha256": sha256_of(path) if path != "synthetic" else None})


def _replay(caught: list[warnings.WarningMessage]) -> None:
    """Data warnings as one ``warning:`` line each; anything else as Python would show it."""
    from core.errors import DataWarning

    for item in caught:
        if issubclass(item.category, DataWarning):
            typer.echo(f"warning: {item.message}", err=True)
        else:
            warnings.showwarning(item.message, item.category, item.filename, item.lineno)


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value == value else "nan"


def _lengths(stats: dict[str, float] | None) -> str:
    if stats is None:
        return "absent"
    return f"{int(stats['min'])} / {stats['mean']:.1f} / {int(stats['max'])}"


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    dims, present = summary["dims"], summary["present"]

    def modality(name: str) -> str:
        if not present[name]:
            return "absent (text-only data)"
        return f"{dims[f'{name}_len']} frames x {dims[f'{name}_dim']} features"

    overview = Table(title=f"data check: {summary['source']}", show_header=False, title_justify="left")
    overview.add_column(style="bold")
    overview.add_column()
    overview.add_row("data set", summary["name"])
    overview.add_row("synthetic", "[bold yellow]yes (SYNTHETIC)[/]" if summary["synthetic"] else "no")
    overview.add_row("fingerprint", summary["fingerprint"])
    overview.add_row(
        "text", f"{dims['text_len']} tokens" + (f", own vocabulary of {summary['vocab_size']}" if summary["vocab_size"] else "")
    )
    overview.add_row("audio", modality("audio"))
    overview.add_row("vision", modality("vision"))
    low, high = summary["label_range"]
    overview.add_row("labels", f"[{_fmt(low)}, {_fmt(high)}], {summary['metric_family']} metrics")
    cleaned = summary["cleaned"]
    overview.add_row("NaN/inf set to 0", ", ".join(f"{k}: {v}" for k, v in cleaned.items()) if cleaned else "none")
    console.print(overview)
    if summary.get("sha256"):  # a plain line, never folded: MMSA publishes its pickles' SHA-256
        console.print(f"sha256 {summary['sha256']}", soft_wrap=True, highlight=False)

    splits = summary["splits"]
    table = Table(title="splits (lengths: min / mean / max)", title_justify="left")
    table.add_column("", style="bold")
    for name in splits:
        table.add_column(name, justify="right")

    def row(label: str, cell) -> None:
        table.add_row(label, *(cell(split) for split in splits.values()))

    row("samples", lambda s: str(s["size"]))
    row("text length", lambda s: _lengths(s["lengths"]["text"]))
    row("audio length", lambda s: _lengths(s["lengths"]["audio"]))
    row("vision length", lambda s: _lengths(s["lengths"]["vision"]))
    row("label mean ± std", lambda s: f"{s['labels']['mean']:.2f} ± {s['labels']['std']:.2f}")
    row("label range", lambda s: f"{_fmt(s['labels']['min'])}..{_fmt(s['labels']['max'])}")
    row(
        "pos / neg / zero", lambda s: f"{s['labels']['positive']:.0%} / {s['labels']['negative']:.0%} / {s['labels']['zero']:.0%}"
    )
    missing = [name for name in ("train", "valid", "test") if name not in splits]
    if missing:
        table.caption = f"no {', '.join(missing)} split in this file"
    console.print(table)
