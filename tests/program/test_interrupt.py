"""SIGINT from the engine ends the program quietly (components/interrupt.py).

The child stands where the engine's SIGINT found the program in CI: the main thread blocked in a
call to the engine (a lock, as gRPC's blocking call waits on one) while an executor thread of the
SDK is busy. Without the handler, the same child prints the KeyboardInterrupt traceback."""

from __future__ import annotations

import signal
import subprocess
import sys

from components.interrupt import EXIT_INTERRUPTED
from tests.program.harness import REPO

CHILD = """
import sys, threading, time
from concurrent.futures import ThreadPoolExecutor
if sys.argv[1] == "handled":
    from components.interrupt import exit_quietly_on_interrupt
    exit_quietly_on_interrupt()
print("program output before the signal")
executor = ThreadPoolExecutor(max_workers=1)
executor.submit(time.sleep, 3600)
engine_call = threading.Lock()
engine_call.acquire()
print("waiting on the engine", flush=True)
engine_call.acquire()
"""


def _interrupted(mode: str) -> tuple[int | None, str]:
    """(exit code, or None when the child was still running 10 s after SIGINT; its stderr)."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("waiting on the engine"):
            break
    child.send_signal(signal.SIGINT)
    try:
        _, stderr = child.communicate(timeout=10)
        return child.returncode, stderr
    except subprocess.TimeoutExpired:
        child.kill()
        _, stderr = child.communicate()
        return None, stderr


def test_sigint_ends_the_program_at_once_without_a_traceback() -> None:
    code, stderr = _interrupted("handled")
    assert code == EXIT_INTERRUPTED == 130
    assert stderr == ""


def test_without_the_handler_the_same_program_prints_a_traceback_and_hangs() -> None:
    # The control: the child really is interrupted where the handler matters. Python prints the
    # KeyboardInterrupt, then waits at exit for the busy executor thread, as the SDK's would wait on
    # the engine that is stopping it, until it is killed.
    code, stderr = _interrupted("default")
    assert "Traceback" in stderr and "KeyboardInterrupt" in stderr, stderr
    assert code is None
