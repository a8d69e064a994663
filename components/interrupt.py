"""The program's answer to SIGINT: exit at once, quietly.

The Pulumi engine stops a language host's program with SIGINT when it ends a run early (a mandatory
policy failed, an update was cancelled, the user pressed Ctrl-C). Python's default answer is a
KeyboardInterrupt raised wherever the program happens to be (often inside a gRPC call to the
engine), whose traceback the CLI then shows to the user under the real message. The engine has
already decided and said why the run stops, so the program leaves without a word, 128 + SIGINT.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

EXIT_INTERRUPTED = 128 + signal.SIGINT


def _exit_quietly(signum: int, _frame: FrameType | None) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed by the engine already: nothing left to say
            pass
    # os._exit, not SystemExit: unwinding would wait for the SDK's executor threads, which are
    # blocked on the engine that is stopping the program.
    os._exit(128 + signum)


def exit_quietly_on_interrupt() -> None:
    """Install the quiet SIGINT handler (only the main thread may; elsewhere there is no program)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _exit_quietly)
