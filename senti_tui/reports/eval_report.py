"""The text rendering of an evaluation report (``senti-tui eval``): one rich table per protocol
(rows = settings, columns = models x key metrics, mean ± std over the mask seeds or the training
seeds), plotext curves of the key metrics against the rate (one line per model), the spread over
training seeds vs mask seeds, and a summary of LNLN's "overall" figure and the AUC robustness
score. Reports derived from the synthetic set are labelled SYNTHETIC; checkpoints selected on the
test split (LNLN's paper protocol) TEST-SELECTED.

Plain text and rich tables only: the report's figures come from :mod:`core.evaluation`, no tensors.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from core.metrics import metric_family_of_keys
from senti_tui.metric_names import display_name, format_metric

if TYPE_CHECKING:
    from core.evaluation import EvaluationReport, ProtocolResult

KEY_METRICS = {
    "mosi": ("MAE", "Corr", "Mult_acc_7", "Non0_acc_2", "Non0_F1_score"),
    "sims": ("MAE", "Corr", "Mult_acc_5", "Mult_acc_2", "F1_score"),
}
PLOT_METRICS = {"mosi": ("MAE", "Mult_acc_7", "Non0_acc_2"), "sims": ("MAE", "Mult_acc_5", "Mult_acc_2")}
SWEPT = {"rates": "missing rate r", "droprates": "droprate", "modes": "mode", "lnln-paper": "missing rate r"}
MARKERS = ("dot", "x", "+", "o", "*", "#", "@", "%")
CELL_WIDTH = 15  # "1.903 ± 0.004" plus padding
PIPE_WIDTH = 180
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _family(report: EvaluationReport) -> str:
    return metric_family_of_keys(report.metric_keys)


def _entry(report: EvaluationReport, key: str):
    return next(e for e in report.entries if e.key == key)


def _model_header(report: EvaluationReport, key: str) -> str:
    """The model key, with a dagger when it was selected on the test split."""
    return f"{key} [bold red]†[/]" if _entry(report, key).test_selected else key


def _test_selected_caption(members: list) -> str | None:
    chosen = [c.key for c in members if c.test_selected]
    return f"[bold red]†[/] TEST-SELECTED (chosen on the test split): {', '.join(chosen)}" if chosen else None


def _cell(key: str, mean: float, std: float) -> str:
    return f"{format_metric(key, mean)} ± {format_metric(key, std)}"


def _is_group(entry) -> bool:
    return hasattr(entry, "train_seeds")


def _over(report: EvaluationReport, members: list) -> str:
    """What the ± of a table is over."""
    mask = ", ".join(str(s) for s in report.seeds)
    if members and _is_group(members[0]):
        seeds = sorted({s for m in members for s in m.train_seeds})
        return f"mean ± std over training seeds {', '.join(str(s) for s in seeds)} (mask seeds {mask})"
    return f"mean ± std over mask seeds {mask}"


def protocol_tables(report: EvaluationReport, name: str, width: int) -> list:
    """Rows = settings, columns = models x key metrics: first the model groups (over training
    seeds), then the checkpoints in no group (over mask seeds); as many per table as fit in
    ``width`` (one per table on a narrow terminal)."""
    keys = KEY_METRICS[_family(report)]
    per_table = max(1, (width - 16) // (len(keys) * CELL_WIDTH))
    tables = []
    members: list  # the groups, then the checkpoints in none
    for members in (report.groups, [c for c in report.checkpoints if not c.group]):
        members = [m for m in members if name in m.protocols]
        tables += [protocol_table(report, name, members[i : i + per_table]) for i in range(0, len(members), per_table)]
    return tables


def protocol_table(report: EvaluationReport, name: str, members: list):
    from rich.table import Table

    keys = KEY_METRICS[_family(report)]
    tag = report.labels
    from rich.text import Text

    title = f"{name} · {report.split} · {_over(report, members)}" + (f" · [bold yellow]{tag}[/]" if tag else "")
    table = Table(
        title=_no_wrap(Text.from_markup(title, style="table.title")),
        title_justify="left",
        caption=_test_selected_caption(members),
        caption_justify="left",
    )
    table.add_column("setting", style="bold", no_wrap=True, min_width=7)
    for c in members:
        for key in keys:
            table.add_column(f"{_model_header(report, c.key)}\n{display_name(key)}", justify="right", no_wrap=True)
    results: list[ProtocolResult] = [c.protocols[name] for c in members]
    for i, setting in enumerate(results[0].settings):
        cells = []
        for result in results:
            row = result.settings[i].result
            cells += [_cell(k, row.mean[k], row.std[k]) for k in keys]
        table.add_row(setting.label, *cells)
    table.add_section()
    overall = []
    for result in results:
        overall += [_cell(k, result.overall.mean[k], result.overall.std[k]) for k in keys]
    table.add_row("overall", *overall, style="bold")
    return table


def _no_wrap(text):
    text.no_wrap, text.overflow = True, "ignore"
    return text


def spread_table(report: EvaluationReport, name: str):
    """Per model group: the mask-seed spread of the overall figure (mean over training seeds of
    the std over mask seeds), beside the training-seed std of the tables."""
    from rich.table import Table

    keys = KEY_METRICS[_family(report)]
    table = Table(
        title=f"{name} · overall · spread over training seeds vs over mask seeds",
        caption="train std: std over training seeds of each seed's mean over mask seeds; mask std: mean over training seeds "
        "of the std over mask seeds" + (" (one mask seed: 0)" if len(report.seeds) == 1 else ""),
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("model", style="bold", no_wrap=True)
    table.add_column("seeds", no_wrap=True)
    table.add_column("spread", no_wrap=True)
    for key in keys:
        table.add_column(display_name(key), justify="right", no_wrap=True)
    for g in report.groups:
        overall = g.protocols[name].overall
        seeds = ",".join(str(s) for s in g.train_seeds)
        table.add_row(_model_header(report, g.key), seeds, "train std", *[format_metric(k, overall.std[k]) for k in keys])
        table.add_row("", "", "mask std", *[format_metric(k, overall.mask_std.get(k, float("nan"))) for k in keys])
    return table


def summary_table(report: EvaluationReport, name: str = "rates"):
    """Per model: LNLN's overall mean over the rates and the AUC robustness score."""
    from rich.table import Table

    from core.evaluation import AUC_KEYS

    auc_keys = AUC_KEYS[_family(report)]
    tag = report.labels
    entries = [e for e in report.entries if name in e.protocols]
    over = "training seeds (model groups) or mask seeds" if report.groups else "mask seeds"
    table = Table(
        title=f"robustness over r = 0.0…0.9 ({name})" + (f" · [bold yellow]{tag}[/]" if tag else ""),
        caption="overall: mean over the 10 rates (LNLN's figure). AUC: area under the metric-vs-rate curve / 0.9 "
        f"(trapezoid, i.e. the curve's mean height; MAE lower is better). Mean ± std over {over}."
        + ("\n" + (_test_selected_caption(entries) or "") if any(e.test_selected for e in entries) else ""),
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("model", style="bold", no_wrap=True)
    table.add_column("figure", no_wrap=True)
    for key in auc_keys:
        table.add_column(display_name(key), justify="right", no_wrap=True)
    for c in entries:
        rates = c.protocols[name]
        table.add_row(
            _model_header(report, c.key), "overall", *[_cell(k, rates.overall.mean[k], rates.overall.std[k]) for k in auc_keys]
        )
        if rates.auc is not None:
            table.add_row("", "AUC", *[_cell(k, rates.auc.mean[k], rates.auc.std[k]) for k in auc_keys])
    return table


def curves_text(report: EvaluationReport, name: str, width: int, colour: bool) -> str:
    """plotext curves of the plot metrics vs the swept value, one line per model."""
    import plotext as plt

    keys = PLOT_METRICS[_family(report)]
    entries = [e for e in report.entries if name in e.protocols]
    plt.clear_figure()
    plt.subplots(1, len(keys))
    plt.limitsize(False, False)  # plotext would clamp to its own idea of the terminal
    plt.plotsize(max(60, min(width, 200)), 16)
    if not colour:
        plt.theme("clear")
    for column, key in enumerate(keys, start=1):
        plt.subplot(1, column)
        for i, c in enumerate(entries):
            xs, means, _ = c.protocols[name].curve(key)
            ys = [100.0 * v if key != "MAE" and key != "Corr" else v for v in means]
            plt.plot(xs, ys, label=c.key, marker=MARKERS[i % len(MARKERS)])
        plt.title(display_name(key) + (" (%)" if key not in ("MAE", "Corr") else ""))
        plt.xlabel(SWEPT[name])
        xs = entries[0].protocols[name].curve(key)[0]
        ticks = xs[:: 3 if len(xs) % 3 == 1 else 2]  # r: 0, .3, .6, .9; droprate: 0, .2, ..., 1
        plt.xticks(ticks, [f"{x:.1f}" for x in ticks])
    text = plt.build()
    plt.clear_figure()
    return text if colour else _ANSI.sub("", text)


def show_report(report: EvaluationReport, plot: bool = True) -> None:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # a file or a pipe: no need to squeeze the tables into 80 columns
        console = Console(width=max(console.width, PIPE_WIDTH))
    tag = report.labels
    if tag:
        console.print(f"[bold yellow]{tag}[/]: " + _tag_explanation(report))
    if report.metadata.get("precision") == "bf16":
        console.print("[bold]bf16[/]: predictions computed under bfloat16 autocast (fp32 figures may differ slightly)")
    noted = set()
    for c in report.checkpoints:
        if c.note and (c.group or c.key) not in noted:  # a model group's members share their note
            noted.add(c.group or c.key)
            console.print(f"[bold red]{c.group or c.key}[/]: {c.note}")
    for g in report.groups:
        if g.combined:
            sources = ", ".join(f"{display_name(m)} ← {k}" for m, k in g.sources.items())
            console.print(
                f"[bold]{g.key}[/]: LNLN's table, each metric from its own checkpoints over training seeds "
                f"{', '.join(str(s) for s in g.train_seeds)} ({sources})"
            )
        else:
            console.print(
                f"[bold]{g.key}[/]: one model over training seeds {', '.join(str(s) for s in g.train_seeds)} "
                f"({len(g.checkpoints)} checkpoints)"
            )
    for name in report.protocols:
        for table in protocol_tables(report, name, console.width):
            console.print(table)
        if report.groups:
            console.print(spread_table(report, name))
        if plot and name in ("rates", "droprates", "lnln-paper"):
            colour = console.is_terminal
            text = curves_text(report, name, console.width, colour)
            sys.stdout.write(text.rstrip("\n") + "\n")
            sys.stdout.flush()
    for name in ("rates", "lnln-paper"):
        if name in report.protocols:
            console.print(summary_table(report, name))


def _tag_explanation(report: EvaluationReport) -> str:
    parts = []
    if report.synthetic:
        parts.append("figures on the embedded synthetic data set, not on a benchmark")
    if report.test_selected:
        parts.append(
            "some checkpoints were selected on the test split (LNLN's paper protocol), so their test figures are optimistic"
        )
    return "; ".join(parts)
