"""Facts about the terminal the CLI runs in."""

from __future__ import annotations

import os
import sys


def is_interactive_terminal() -> bool:
    """A terminal on both ends and not CI (CI=true is set by most CI systems): the apps run;
    otherwise the commands print text."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    return sys.stdout.isatty() and sys.stdin.isatty()
