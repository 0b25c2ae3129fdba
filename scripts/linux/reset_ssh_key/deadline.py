"""The run's internal deadline and the signals that interrupt it.

Both raise an exception in the main thread (Python runs signal handlers between bytecodes, and a
blocking system call returns EINTR first), so the `finally` blocks undo what was changed and the
cleanup unmounts and detaches before the result is printed. Child processes get the time left
as their timeout.
"""
import signal
import subprocess
import time
from types import FrameType
from typing import List, Optional

DEFAULT_SECONDS = 300


class Interrupted(BaseException):
    """A signal or the deadline stopped the run. BaseException: no `except Exception` eats it."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class DeadlineExceeded(Interrupted):
    pass


_END: Optional[float] = None
_SECONDS = DEFAULT_SECONDS
_SIGNALS = {signal.SIGINT: ("INT", 130), signal.SIGTERM: ("TERM", 143), signal.SIGHUP: ("HUP", 129)}


def _on_signal(number: int, _frame: Optional[FrameType]) -> None:
    name, status = _SIGNALS[signal.Signals(number)]
    raise Interrupted(f"interrupted by SIG{name}", status)


def _on_alarm(_number: int, _frame: Optional[FrameType]) -> None:
    raise DeadlineExceeded(f"the internal deadline of {_SECONDS} s passed", 1)


def arm(seconds: int) -> None:
    """Starts the deadline and turns SIGINT, SIGTERM and SIGHUP into Interrupted."""
    global _END, _SECONDS
    _SECONDS = seconds
    _END = time.monotonic() + seconds
    for number in _SIGNALS:
        signal.signal(number, _on_signal)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def disarm() -> None:
    """From here on (cleanup) nothing interrupts: an unmount half done helps no one."""
    signal.setitimer(signal.ITIMER_REAL, 0)
    for number in list(_SIGNALS) + [signal.SIGALRM]:
        signal.signal(number, signal.SIG_IGN)


def remaining() -> float:
    if _END is None:
        return float(DEFAULT_SECONDS)
    return max(0.0, _END - time.monotonic())


class CommandFailed(Exception):
    def __init__(self, what: str, message: str) -> None:
        super().__init__(f"cannot {what}{': ' + message if message else ''}")


def run(command: List[str], what: str, stdin: Optional[str] = None, timeout: Optional[float] = None) -> str:
    """Runs a helper command (never one from the volume); its stdout, or CommandFailed with the
    last line of its stderr. Bounded by the deadline (or `timeout` during cleanup)."""
    limit = timeout if timeout is not None else max(1.0, remaining())
    try:
        done = subprocess.run(command, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, errors="replace", timeout=limit)
    except subprocess.TimeoutExpired:
        if timeout is not None:
            raise CommandFailed(what, f"no answer within {timeout:.0f} s") from None
        raise DeadlineExceeded(f"the internal deadline of {_SECONDS} s passed ({command[0]} did not finish)", 1) from None
    except OSError as error:
        raise CommandFailed(what, error.strerror or str(error)) from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        message = lines[-1].rsplit(": ", 1)[-1] if lines else f"exit status {done.returncode}"
        raise CommandFailed(what, message)
    return done.stdout
