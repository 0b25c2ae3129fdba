"""aws:runPowerShellScript for real, where PowerShell 7 (pwsh) is installed.

A step's commands are written to _script.ps1 and run by `pwsh -NoProfile -NonInteractive -File`
inside a private mount namespace (unshare --mount), so that what the step mounts (the Storage
stand-in mounts NTFS partitions with ntfs-3g) is never seen by this machine and goes with the
step. The environment looks enough like Windows for the project's document: SystemRoot holds
System32\\WindowsPowerShell\\v1.0\\powershell.exe (powershell/powershell.exe: the real script
under pwsh with the Storage cmdlets of powershell/StorageStandIn.psm1), TEMP a private folder.
Where pwsh is absent, available() says why and the step fails as before ("the emulator runs
only aws:runShellScript steps").
"""
from __future__ import annotations

import os
import shutil
from typing import Optional

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "powershell")


def pwsh() -> Optional[str]:
    """pwsh on the PATH, or where `dotnet tool install --global PowerShell` puts it."""
    found = shutil.which("pwsh")
    if found:
        return found
    tool = os.path.expanduser("~/.dotnet/tools/pwsh")
    return tool if os.access(tool, os.X_OK) else None


def unavailable() -> Optional[str]:
    """Why PowerShell steps cannot run here, or None when they can."""
    if pwsh() is None:
        return "pwsh is not installed (dotnet tool install --global PowerShell --version 7.6.9)"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    return None


def prepare(folder: str, commands: list[str], env: dict[str, str]) -> list[str]:
    """Writes the step's script and its Windows-like folders; returns the command line to run."""
    script = os.path.join(folder, "_script.ps1")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write("\n".join(commands) + "\n")
    system_root = os.path.join(folder, "Windows")
    shell_dir = os.path.join(system_root, "System32", "WindowsPowerShell", "v1.0")
    os.makedirs(shell_dir, exist_ok=True)
    link = os.path.join(shell_dir, "powershell.exe")
    if not os.path.lexists(link):
        os.symlink(os.path.join(HERE, "powershell.exe"), link)
    temp = os.path.join(folder, "Temp")
    os.makedirs(temp, exist_ok=True)
    env.update(SystemRoot=system_root, TEMP=temp, EMULATOR_PWSH=pwsh() or "pwsh")
    return ["unshare", "--mount", "--propagation", "private", env["EMULATOR_PWSH"], "-NoProfile", "-NonInteractive",
            "-File", script]
