"""How tests start `exporter` in a subprocess that a Ctrl-C must reach.

A process started in the background by a non-interactive shell (`make test &`, some CI runners) ignores
SIGINT, and its children inherit that, so Python would never turn a Ctrl-C into `KeyboardInterrupt`. The
prologue gives the child the handler it has when a person runs it in a terminal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

_PROLOGUE = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             "sys.argv[0] = 'exporter'; runpy.run_module('exporter', run_name='__main__', alter_sys=True)")

INTERACTIVE_EXPORTER = [sys.executable, "-c", _PROLOGUE]
"""`python -m exporter` as a terminal would run it; append the command's arguments."""

FAULT_HANDLER_ENV = {"PYTHONFAULTHANDLER": "1"}
"""Add to the child's environment so `communicate` can show where a hung child waits."""


def communicate(process: subprocess.Popen[bytes], timeout: float = 60) -> tuple[bytes, bytes]:
    """`process.communicate(timeout=…)`; a child that does not exit in time fails the test with every thread's
    stack (SIGABRT makes the child's fault handler print them) instead of a bare `TimeoutExpired`."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        _, stderr = process.communicate(timeout=30)
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)  # its pool's workers, when it leads a session
        raise AssertionError(f"the exporter process did not exit within {timeout:g} s; where its threads were:\n"
                             f"{stderr.decode('utf-8', 'replace')[-8000:]}") from None
