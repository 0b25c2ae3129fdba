"""Paths inside the volume, resolved as the volume's own kernel would, never outside it.

Every lookup goes through directory file descriptors: each component is opened relative to its
parent with O_NOFOLLOW, and a symlink is read (readlinkat) and resolved by this program within
the volume (absolute targets restart at the volume root; climbing above it is refused). Files
are checked on the descriptor they are then read or replaced through.
"""
import os
import stat
from dataclasses import dataclass
from typing import List, Optional, Tuple

MAX_LINKS = 40
DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # a FIFO never blocks


class PathError(Exception):
    """A path of the volume that cannot be used; the message says why."""


class Missing(PathError):
    """The path does not exist on the volume."""


@dataclass
class Resolved:
    path: str  # canonical path inside the volume, "/" for its root
    first_link: Optional[str]  # the first symlink followed, "path -> target"
    exists: bool


def _components(path: str) -> List[str]:
    return [part for part in path.split("/") if part]


def join(parent: str, name: str) -> str:
    return "/" + name if parent == "/" else f"{parent}/{name}"


def parent_and_name(path: str) -> Tuple[str, str]:
    parent, _, name = path.rpartition("/")
    return parent or "/", name


class Volume:
    """The volume's root directory, held open; every path below is relative to it."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def close(self) -> None:
        os.close(self.fd)

    def resolve(self, path: str) -> Resolved:
        """The canonical form of a volume path; components that do not exist are kept as given."""
        if not path.startswith("/"):
            raise PathError(f"{path} is not an absolute path")
        stack: List[Tuple[str, int]] = []  # (name, fd) of each directory below the root
        remaining = _components(path)
        first_link: Optional[str] = None
        missing = False
        hops = 0
        try:
            while remaining:
                component = remaining.pop(0)
                current = "/" + "/".join(name for name, _ in stack) if stack else "/"
                if component == ".":
                    continue
                if component == "..":
                    if missing:
                        raise PathError(f"{current} does not exist")
                    if not stack:
                        raise PathError(f"{first_link or path} leads above the volume root")
                    name, fd = stack.pop()
                    if fd >= 0:
                        os.close(fd)
                    continue
                parent_fd = stack[-1][1] if stack else self.fd
                if missing:
                    stack.append((component, -1))
                    continue
                try:
                    info = os.stat(component, dir_fd=parent_fd, follow_symlinks=False)
                except FileNotFoundError:
                    missing = True
                    stack.append((component, -1))
                    continue
                if stat.S_ISLNK(info.st_mode):
                    hops += 1
                    if hops > MAX_LINKS:
                        raise PathError(f"too many symbolic links in {path}")
                    target = os.readlink(component, dir_fd=parent_fd)
                    if first_link is None:
                        first_link = f"{join(current, component)} -> {target}"
                    if target.startswith("/"):
                        for _, fd in stack:
                            if fd >= 0:
                                os.close(fd)
                        stack = []
                    remaining = _components(target) + remaining
                    continue
                if stat.S_ISDIR(info.st_mode):
                    stack.append((component, os.open(component, DIRECTORY_FLAGS, dir_fd=parent_fd)))
                    continue
                if any(part not in (".",) for part in remaining):
                    raise PathError(f"{join(current, component)} is not a directory")
                stack.append((component, -1))
            canonical = "/" + "/".join(name for name, _ in stack)
            return Resolved(canonical, first_link, not missing)
        finally:
            for _, fd in stack:
                if fd >= 0:
                    os.close(fd)

    def open_directory(self, path: str) -> int:
        """A descriptor of a canonical directory path, each component opened with O_NOFOLLOW."""
        fd = os.dup(self.fd)
        try:
            for component in _components(path):
                next_fd = os.open(component, DIRECTORY_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = next_fd
            return fd
        except OSError:
            os.close(fd)
            raise

    def lstat(self, path: str) -> Optional[os.stat_result]:
        """lstat of a canonical path, None when it does not exist."""
        if path == "/":
            return os.fstat(self.fd)
        parent, name = parent_and_name(path)
        try:
            fd = self.open_directory(parent)
        except OSError:
            return None
        try:
            return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            return None
        finally:
            os.close(fd)

    def is_directory(self, path: str) -> bool:
        info = self.lstat(path)
        return info is not None and stat.S_ISDIR(info.st_mode)

    def read_file(self, path: str, limit: int) -> bytes:
        """The content of a regular file of the volume (symlinks resolved inside the volume),
        at most `limit` bytes, checked and read on one descriptor."""
        resolved = self.resolve(path)
        if not resolved.exists:
            raise Missing(f"{path} does not exist")
        parent, name = parent_and_name(resolved.path)
        directory = self.open_directory(parent)
        try:
            fd = os.open(name, FILE_FLAGS, dir_fd=directory)
        finally:
            os.close(directory)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise PathError(f"{path} is not a regular file")
            if info.st_size > limit:
                raise PathError(f"{path} is larger than {limit} bytes")
            return read_bounded(fd, limit)
        finally:
            os.close(fd)


def read_bounded(fd: int, limit: int) -> bytes:
    """Up to `limit` bytes from a descriptor (a file that grows while read is cut, then refused)."""
    chunks: List[bytes] = []
    total = 0
    while total <= limit:
        chunk = os.read(fd, min(65536, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise PathError(f"the file grew beyond {limit} bytes while being read")
    return b"".join(chunks)


def is_os_root(volume: Volume) -> bool:
    """etc/passwd and etc/os-release exist (possibly as symlinks) at the volume's top."""
    for name in ("etc/passwd", "etc/os-release"):
        info = volume.lstat("/" + name)
        if info is None or not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
            return False
    return True
