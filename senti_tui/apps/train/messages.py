"""Messages the event-source worker posts to the app (``post_message`` is thread-safe)."""

from __future__ import annotations

from textual.message import Message

from core.training.events import Event


class EventsArrived(Message):
    """One or more training events, in order."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events


class SourceWarning(Message):
    """Something the source skipped (e.g. a line of events.jsonl that is not an event)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
