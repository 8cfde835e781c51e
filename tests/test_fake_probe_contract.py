"""The explorer's UI tests run on tests/fake_probe.py's FakeProbe; these keep it honest: every
public method it has is one the real ``Probe`` has, with the same signature (names, kinds,
defaults, annotations), and every method the explorer calls (its ``ProbeBackend`` protocol) is on
both. A change to ``Probe``'s interface fails here until the fake follows it."""

from __future__ import annotations

import inspect

import pytest

from senti_tui.apps.explore.backend import ProbeBackend
from tests.fake_probe import FakeProbe


def real_probe() -> type:
    try:
        from core.probe import Probe  # where the split probe package exports it
    except ImportError:
        from core.probe.session import Probe
    return Probe


def public_methods(cls: type) -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and callable(member) and not isinstance(inspect.getattr_static(cls, name), property)
    }


def test_every_public_method_of_the_fake_is_the_probes_with_the_same_signature():
    probe = public_methods(real_probe())
    fake = public_methods(FakeProbe)
    assert fake, "FakeProbe has public methods"
    missing = sorted(set(fake) - set(probe))
    assert not missing, f"FakeProbe has methods the real Probe has not: {missing}"
    for name in sorted(fake):
        assert inspect.signature(fake[name]) == inspect.signature(probe[name]), name


@pytest.mark.parametrize("name", sorted(public_methods(ProbeBackend)))
def test_what_the_explorer_calls_is_on_the_probe_and_the_fake(name):
    assert name in public_methods(real_probe()) and name in public_methods(FakeProbe)
