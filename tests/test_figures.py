"""``eval --figure``: a valid PNG of the expected size, a PDF, an SVG labelled SYNTHETIC; curves
with a ± std band per model, the modes protocol as grouped bars."""

from __future__ import annotations

import pytest

from core.evaluation import evaluate_checkpoints
from core.figures import DPI, KEY_METRICS, PANEL_H, PANEL_W, build_figure
from tests.probe_checkpoints import make_checkpoint


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("figures")
    return [
        make_checkpoint(folder / "a.pt", "lnln", seed=1, train_seed=1111),
        make_checkpoint(folder / "b.pt", "lnln", seed=2, train_seed=1112),
        make_checkpoint(folder / "dar.pt", "dar", seed=3),
    ]


def test_png_pdf_and_svg_from_the_command(run_cli, paths, tmp_path):
    from matplotlib import image

    from core.evaluation import EvaluationReport
    from core.figures import save_figure

    png, pdf, svg, results = tmp_path / "f.png", tmp_path / "f.pdf", tmp_path / "f.svg", tmp_path / "r.json"
    code, out, err = run_cli(
        "eval",
        *[str(p) for p in paths],
        "--protocol",
        "rates,modes",
        "--seeds",
        "1111",
        "--no-plot",
        "--figure",
        str(png),
        "--out",
        str(results),
    )
    assert code == 0, err
    assert f"wrote {png}" in out
    report = EvaluationReport.from_json(results)  # the same figure in the other formats
    assert save_figure(report, pdf) == pdf and save_figure(report, svg) == svg
    pixels = image.imread(png)  # PIL through matplotlib
    keys = len(KEY_METRICS["mosi"])
    assert pixels.shape[:2] == (round((PANEL_H * 2 + 1.1) * DPI), round(PANEL_W * keys * DPI))
    assert pixels.shape[2] in (3, 4) and pixels.std() > 0.05  # not a blank canvas
    assert pdf.read_bytes().startswith(b"%PDF")
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "SYNTHETIC" in text
    # no creation date, fixed ids: a figure kept under version control changes only with its data
    for first in (pdf, svg):
        again = save_figure(report, tmp_path / f"again{first.suffix}")
        assert again.read_bytes() == first.read_bytes()


def test_curves_have_std_bands_and_modes_are_grouped_bars(paths):
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Rectangle

    report = evaluate_checkpoints([str(p) for p in paths], protocols=("rates", "modes"), seeds=(1111, 1112))
    figure = build_figure(report)
    axes = figure.get_axes()
    assert len(axes) == 2 * len(KEY_METRICS["mosi"])
    rates, modes = axes[0], axes[len(KEY_METRICS["mosi"])]
    assert [line.get_label() for line in rates.get_lines()] == ["lnln (n=2 seeds)", "dar"]  # one line per model
    assert len(rates.get_lines()[0].get_xdata()) == 10
    assert sum(isinstance(c, PolyCollection) for c in rates.collections) == 2  # one band per model
    bars = [p for p in modes.patches if isinstance(p, Rectangle)]
    assert len(bars) == 2 * 6  # two models x six modes
    assert "SYNTHETIC" in figure._suptitle.get_text() and "training seeds" in figure._suptitle.get_text()
    assert rates.get_title() == "rates · MAE" and modes.get_xlabel().startswith("retention mode")


def test_bad_figure_path(run_cli, paths):
    code, out, err = run_cli("eval", str(paths[2]), "--figure", "curves.jpg")
    assert (code, out, err) == (2, "", "error: curves.jpg: --figure must end in .pdf, .png or .svg\n")


async def test_the_explorer_saves_the_curves_figure(tmp_path, explorer):
    from tests.explore_fixtures import wait_for
    from tests.fake_probe import FakeProbe

    probe = FakeProbe(model_names=("senti-ifusion", "lnln"))
    async with explorer(probe, settled=False, export_dir=tmp_path) as (app, pilot):
        await pilot.press("v")  # vision off: the curves sweep text and audio
        await pilot.press("f")
        await wait_for(pilot, app, lambda: app.exported, timeout=20, what=f"no figure saved: {app.errors}")
        assert app.exported, app.errors
        path = app.exported[0]
        assert any(n.message == f"wrote the curves to {path}" for n in app._notifications)
    assert path.name.startswith("curves-") and path.suffix == ".pdf" and path.read_bytes().startswith(b"%PDF")


def test_probe_curves_figure_has_one_line_per_model():
    from core.figures import probe_curves_figure
    from core.probe.types import ProbeSettings
    from tests.fake_probe import FakeProbe

    probe = FakeProbe(model_names=("senti-ifusion", "lnln", "dar"))
    figure = probe_curves_figure(probe.curve(ProbeSettings()), "fake", synthetic=True)
    axes = figure.get_axes()
    assert len(axes) == len(KEY_METRICS["mosi"])
    assert [line.get_label() for line in axes[0].get_lines()] == ["senti-ifusion", "lnln", "dar"]
    assert "SYNTHETIC" in figure._suptitle.get_text()
