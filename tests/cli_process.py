"""How tests start `exporter` in a subprocess that a Ctrl-C must reach.

A process started in the background by a non-interactive shell (`make test &`, some CI runners) ignores
SIGINT, and its children inherit that, so Python would never turn a Ctrl-C into `KeyboardInterrupt`. The
prologue gives the child the handler it has when a person runs it in a terminal.
"""

from __future__ import annotations

import sys

_PROLOGUE = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             "sys.argv[0] = 'exporter'; runpy.run_module('exporter', run_name='__main__', alter_sys=True)")

INTERACTIVE_EXPORTER = [sys.executable, "-c", _PROLOGUE]
"""`python -m exporter` as a terminal would run it; append the command's arguments."""
