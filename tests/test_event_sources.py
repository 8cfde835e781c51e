"""Event sources and the run state they feed: replay, follow, bad lines, resumed runs."""

from __future__ import annotations

import threading

import pytest

from core.errors import SentiError
from core.training.events import EpochEnd, Finished, RunStarted, event_to_json
from senti_tui.event_sources import FileSource, SessionSource, read_event_log
from senti_tui.run_state import RunState
from tests.fake_training import FakeRun, FakeSession


class Collect:
    def __init__(self) -> None:
        self.batches: list[list] = []
        self.warnings: list[str] = []

    def events(self, events) -> None:
        self.batches.append(list(events))

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def flat(self) -> list:
        return [e for batch in self.batches for e in batch]


def test_a_finished_file_is_replayed_at_once_in_few_batches(tmp_path):
    events = FakeRun(run_dir=str(tmp_path), epochs=5, steps=50).write_events(tmp_path / "events.jsonl")
    sink = Collect()
    last = FileSource(tmp_path, batch=100).run(sink)
    assert sink.flat() == events
    assert isinstance(last, Finished)
    assert len(sink.batches) == -(-len(events) // 100)  # one redraw per batch, not per event


def test_bad_lines_are_skipped_with_warnings_then_counted(tmp_path):
    events = list(FakeRun(run_dir=str(tmp_path), epochs=1, steps=2).events())
    lines = [event_to_json(e) for e in events]
    bad = ["{oops", '{"type": "Nope"}', '{"type": "Step", "epoch": 1}', "[]", "nan", "{", "x"]
    (tmp_path / "events.jsonl").write_text("\n".join(bad + lines) + "\n", encoding="utf-8")
    sink = Collect()
    FileSource(tmp_path).run(sink)
    assert sink.flat() == events
    assert sink.warnings[0].startswith("events.jsonl line 1 skipped:")
    assert sink.warnings[1] == "events.jsonl line 2 skipped: unknown event type 'Nope'"
    assert len(sink.warnings) == FileSource.MAX_NAMED_WARNINGS + 1
    assert sink.warnings[-1].endswith("7 lines in all were not events and were skipped")


def test_a_last_line_without_newline_counts_only_once_complete(tmp_path):
    events = list(FakeRun(run_dir=str(tmp_path), epochs=1, steps=2).events())
    text = "".join(event_to_json(e) + "\n" for e in events)
    (tmp_path / "events.jsonl").write_text(text.rstrip("\n"), encoding="utf-8")  # complete, no final newline
    sink = Collect()
    FileSource(tmp_path, follow=False).run(sink)
    assert sink.flat() == events and not sink.warnings
    (tmp_path / "events.jsonl").write_text(text + event_to_json(events[1])[:30], encoding="utf-8")  # torn line
    sink = Collect()
    FileSource(tmp_path, follow=False).run(sink)
    assert sink.flat() == events and not sink.warnings


def test_following_stops_when_asked(tmp_path):
    events = list(FakeRun(run_dir=str(tmp_path), epochs=2, steps=2).events())
    (tmp_path / "events.jsonl").write_text(event_to_json(events[0]) + "\n", encoding="utf-8")
    source = FileSource(tmp_path, poll_s=0.01)
    sink = Collect()
    thread = threading.Thread(target=source.run, args=(sink,))
    thread.start()
    thread.join(0.2)
    assert thread.is_alive()  # the run is not over: still following
    source.request_stop()
    thread.join(2)
    assert not thread.is_alive() and sink.flat() == events[:1]


def test_missing_folder_or_file_is_one_line(tmp_path):
    with pytest.raises(SentiError, match=r"no such run folder"):
        FileSource(tmp_path / "nope")
    with pytest.raises(SentiError, match=r"events.jsonl: not found; .* is not a training run folder"):
        FileSource(tmp_path)


def test_session_source_passes_the_returned_end_when_not_emitted():
    class Quiet(FakeSession):
        def run(self, callbacks):
            return super().run([lambda e: None if isinstance(e, Finished) else [c(e) for c in callbacks]])

    sink = Collect()
    result = SessionSource(Quiet(FakeRun(epochs=1, steps=2), sleep_s=0)).run(sink)
    assert isinstance(sink.flat()[-1], Finished) and sink.flat()[-1] is result
    assert sum(isinstance(e, Finished) for e in sink.flat()) == 1


def test_a_resumed_run_replaces_the_epochs_it_recomputes(tmp_path):
    run = FakeRun(run_dir=str(tmp_path), epochs=4, steps=2)
    first = [e for e in run.events()]
    state = RunState()
    for event in first:
        state.apply(event)
    assert [e.epoch for e in state.epochs] == [1, 2, 3, 4] and state.over
    resumed = RunStarted(**{**run.run_started().__dict__, "start_epoch": 3})
    state.apply(resumed)
    assert [e.epoch for e in state.epochs] == [1, 2] and not state.over
    assert max(max(series.xs) for series in state.losses.series.values()) < 2.0
    epoch3 = next(e for e in first if isinstance(e, EpochEnd) and e.epoch == 3)
    state.apply(epoch3)
    assert [e.epoch for e in state.epochs] == [1, 2, 3]


def test_read_event_log_returns_events_and_bad_count(tmp_path):
    events = FakeRun(run_dir=str(tmp_path), epochs=1, steps=2).write_events(tmp_path / "events.jsonl")
    with (tmp_path / "events.jsonl").open("a") as handle:
        handle.write("garbage\n")
    got, bad = read_event_log(tmp_path)
    assert got == events and bad == 1


def test_long_runs_keep_a_bounded_loss_history_with_the_same_shape():
    from senti_tui.run_state import DecimatedSeries

    series = DecimatedSeries(cap=64)
    for step in range(10_000):
        series.add(step / 100, float(step))
    assert len(series.xs) <= 64 + 1 and series.stride == 256
    # Averages of consecutive steps: still the straight line y = 100 x.
    assert all(abs(y - 100 * x) < 1e-6 for x, y in zip(series.xs, series.ys))
    xs, _ys = series.binned(10)
    assert len(xs) == 10 and xs == sorted(xs)
