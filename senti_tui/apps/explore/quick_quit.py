"""Textual's Linux driver, quitting without waiting for its input thread.

Textual's input thread polls stdin every 0.1 s and, once told to stop, reads for another 0.1 s;
``LinuxDriver.disable_input`` joins it, so every quit spends 0.1-0.2 s before the terminal is
restored. The explorer has no use for input typed while it quits, so this driver tells the
thread to stop and does not wait for it; ``senti-tui explore`` ends the process right after the
app (:func:`senti_tui.commands.explore.exit_now`). Anything unexpected in Textual's internals
falls back to Textual's own ``disable_input``.
"""

from __future__ import annotations

import contextlib
import signal
import termios

from textual.drivers.linux_driver import LinuxDriver


class QuickQuitDriver(LinuxDriver):
    def disable_input(self) -> None:
        exit_event = getattr(self, "exit_event", None)
        if exit_event is None or not hasattr(self, "_disable_mouse_support"):
            super().disable_input()
            return
        try:
            if not exit_event.is_set():
                signal.signal(signal.SIGWINCH, signal.SIG_DFL)
                self._disable_mouse_support()
                exit_event.set()  # the input thread stops at its next poll; nobody waits for it
                with contextlib.suppress(termios.error):
                    termios.tcflush(self.fileno, termios.TCIFLUSH)
        except Exception:  # noqa: BLE001 - as Textual's own: a terminal that is gone is no error at exit
            pass


def quick_quit_driver(driver_class: type) -> type:
    """:class:`QuickQuitDriver` in place of Textual's Linux driver; any other driver as it is."""
    return QuickQuitDriver if driver_class is LinuxDriver else driver_class
