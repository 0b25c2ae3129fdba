"""What the run mounted, attached or created, undone in reverse on every exit."""
import os
import time
from typing import Callable, Dict, List, Tuple

from reset_ssh_key import deadline

CLEANUP_COMMAND_SECONDS = 30


class Cleanup:
    def __init__(self) -> None:
        self.actions: List[Tuple[str, str]] = []
        self.problems: List[str] = []

    def push(self, action: str, target: str) -> None:
        self.actions.append((action, target))

    def run(self) -> None:
        handlers: Dict[str, Callable[[str], None]] = {"umount": self._unmount, "detach": self._detach, "dm": self._remove_dm, "rmdir": self._rmdir}
        while self.actions:
            action, target = self.actions.pop()
            handlers[action](target)

    def _command(self, command: List[str], problem: str) -> bool:
        try:
            deadline.run(command, problem, timeout=CLEANUP_COMMAND_SECONDS)
            return True
        except deadline.CommandFailed:
            return False

    def _unmount(self, target: str) -> None:
        self._command(["sync", "-f", "--", target], f"sync {target}")
        for attempt in range(1, 6):
            if self._command(["umount", "--", target], f"unmount {target}"):
                return
            time.sleep(attempt)
        self.problems.append(f"could not unmount {target}")

    def _detach(self, target: str) -> None:
        if not self._command(["losetup", "-d", target], f"detach {target}"):
            self.problems.append(f"could not detach {target}")

    def _remove_dm(self, target: str) -> None:
        if not self._command(["dmsetup", "remove", "--retry", target], f"remove {target}"):
            self.problems.append(f"could not remove device-mapper device {target}")

    def _rmdir(self, target: str) -> None:
        try:
            os.rmdir(target)
        except OSError:
            pass
