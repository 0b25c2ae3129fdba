"""Where a user's keys files are: sshd's AuthorizedKeysFile (%h, %u, %U, %%) resolved inside
the volume. In the home, a keys file or .ssh may only lead elsewhere in the same home; outside
homes no symlink is followed at all."""
from dataclasses import dataclass
from typing import Dict, List, Optional

from reset_ssh_key.accounts import Account
from reset_ssh_key.paths import PathError, Volume
from reset_ssh_key.sshd_config import Settings, split_arguments

DEFAULT_KEYS_FILES = ".ssh/authorized_keys .ssh/authorized_keys2"
# A home directory that resolves to one of these is refused: a key file there is not a home's.
SYSTEM_DIRS = {"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/tmp",
               "/usr", "/var"}


class Refused(Exception):
    """This user cannot be served; the message is the reason in the result."""


def valid_keys_path(path: str) -> bool:
    """Paths from sshd_config are never executed: printable, absolute, no dot-dot."""
    return (path.startswith("/") and path.isprintable() and len(path) <= 1024
            and "/../" not in f"/{path}/" and "/./" not in f"/{path}/")


def expand_tokens(token: str, account: Account) -> str:
    out = []
    index = 0
    while index < len(token):
        char = token[index]
        if char != "%":
            out.append(char)
            index += 1
            continue
        code = token[index + 1:index + 2]
        replacement = {"%": "%", "h": account.home, "u": account.name, "U": str(account.uid)}.get(code)
        if replacement is None:
            raise Refused(f"AuthorizedKeysFile token %{code} is not supported")
        out.append(replacement)
        index += 2
    path = "".join(out)
    if not path.startswith("/"):
        path = f"{account.home}/{path}"
    if not valid_keys_path(path):
        raise Refused(f"AuthorizedKeysFile {token} gives an unusable path")
    return path


def keys_files(settings: Settings, account: Account) -> List[str]:
    """The files sshd reads for the user, in order."""
    tokens = split_arguments(settings.value("authorizedkeysfile", DEFAULT_KEYS_FILES))
    if tokens is None:
        raise Refused("AuthorizedKeysFile has an unterminated quote")
    files = [expand_tokens(token, account) for token in tokens if token.lower() != "none"]
    if not files:
        raise Refused("AuthorizedKeysFile is none: sshd reads no keys file")
    return files


def unavailable_reason(path: str, unavailable: Dict[str, str]) -> Optional[str]:
    for point, why in unavailable.items():
        if path == point or path.startswith(point + "/"):
            return f"{point} is a separate filesystem not mounted here ({why})"
    return None


def locate_home(volume: Volume, account: Account, unavailable: Dict[str, str]) -> str:
    """The home directory's canonical path; it must exist on the volume and be a home."""
    try:
        home = volume.resolve(account.home).path
    except PathError as error:
        raise Refused(f"home {account.home}: {error}") from None
    reason = unavailable_reason(home, unavailable)
    if reason:
        raise Refused(f"home {account.home}: {reason}")
    if not volume.is_directory(home):
        raise Refused(f"home directory {account.home} does not exist on the volume")
    if home in SYSTEM_DIRS:
        raise Refused(f"home {account.home} is the system directory {home}")
    return home


@dataclass
class KeysFile:
    shown: str  # as sshd_config names it, expanded
    real: str  # canonical path inside the volume
    under_home: bool
    exists: bool


def locate_keys_file(volume: Volume, shown: str, account: Account, home: str) -> KeysFile:
    try:
        if shown.startswith(account.home.rstrip("/") + "/"):
            resolved = volume.resolve(home.rstrip("/") + shown[len(account.home.rstrip("/")):])
            if not resolved.path.startswith(home.rstrip("/") + "/"):
                raise Refused(f"{shown} leads outside the home of {account.name} to {resolved.path} "
                              f"({resolved.first_link or 'symlink'})")
            return KeysFile(shown, resolved.path, True, resolved.exists)
        resolved = volume.resolve(shown)
    except PathError as error:
        raise Refused(f"{shown}: {error}") from None
    if resolved.first_link is not None:
        raise Refused(f"{shown} goes through a symlink ({resolved.first_link})")
    return KeysFile(shown, resolved.path, False, resolved.exists)
