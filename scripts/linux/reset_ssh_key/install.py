"""Writing a keys file: read and checked on one descriptor, rewritten into a temporary file in
the same directory, fsync'd, renamed over the original; owner, mode and SELinux label kept.

Bounds (each a refusal for the user, never a hang): a keys file over MAX_KEYS_BYTES or sparse is
refused; the free space and inodes are checked before anything is written; the temporary file
and the directories created for the user are removed as soon as that user fails.
"""
import os
import stat
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

from reset_ssh_key.keys import KeysLine, parse_keys_line, split_lines
from reset_ssh_key.locate import KeysFile, Refused
from reset_ssh_key.paths import DIRECTORY_FLAGS, FILE_FLAGS, PathError, Volume, join, parent_and_name, read_bounded
from reset_ssh_key.selinux import TEMP_PREFIX, Labels

MAX_KEYS_BYTES = 1024 * 1024
SPARSE_MIN_BYTES = 64 * 1024  # smaller files may have no block at all (inline data)
FREE_SPACE_MARGIN = 1024 * 1024  # never fill the volume: this much stays free after the write
PAUSE_ENV = "RESET_SSH_KEY_TEST_PAUSE"  # tests only: a marker file, see _test_pause


@dataclass
class Existing:
    """A keys file opened and checked; `fd` is the descriptor it was checked on."""

    fd: int
    info: os.stat_result
    content: bytes


def _refuse_unusable(info: os.stat_result, shown: str, uid: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise Refused(f"{shown} is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"{shown} is not a regular file")
    if info.st_nlink != 1:
        raise Refused(f"{shown} has {info.st_nlink} hard links (it could be another file, such as etc/shadow)")
    if info.st_uid not in (0, uid):
        raise Refused(f"{shown} belongs to uid {info.st_uid}, neither the user nor root")
    if info.st_size > MAX_KEYS_BYTES:
        raise Refused(f"{shown} is {info.st_size} bytes: more than {MAX_KEYS_BYTES} is not a keys file")
    if info.st_size > SPARSE_MIN_BYTES and info.st_blocks * 512 < info.st_size // 4:
        raise Refused(f"{shown} is sparse ({info.st_blocks * 512} bytes allocated for {info.st_size}): not a keys file")


def open_existing(directory_fd: int, name: str, shown: str, uid: int) -> Existing:
    """The keys file, checked (regular, one link, owner, size, not sparse) and read on one fd."""
    try:
        fd = os.open(name, FILE_FLAGS, dir_fd=directory_fd)
    except OSError as error:
        raise Refused(f"cannot open {shown}: {error.strerror}") from None
    try:
        info = os.fstat(fd)
        _refuse_unusable(info, shown, uid)
        content = read_bounded(fd, MAX_KEYS_BYTES)
        return Existing(fd, info, content)
    except PathError as error:  # it grew while read
        os.close(fd)
        raise Refused(f"{shown}: {error}") from None
    except OSError as error:  # read errors (EIO...)
        os.close(fd)
        raise Refused(f"cannot read {shown}: {error.strerror}") from None
    except BaseException:
        os.close(fd)
        raise


def has_key(content: bytes, blob: str) -> Optional[KeysLine]:
    """The line that authorizes the key (a commented-out line does not), or None."""
    needle = blob.encode()
    for raw in split_lines(content):
        if needle not in raw:
            continue
        line = parse_keys_line(raw.decode("utf-8", "surrogateescape"))
        if line is not None and line.blob == blob:
            return line
    return None


def without_comment(content: bytes, comment: str, keep_blob: str) -> Tuple[bytes, List[KeysLine]]:
    """The content without the key lines whose comment is exactly `comment` (except the key
    being installed); every other line kept, in order, byte for byte."""
    kept: List[bytes] = []
    removed: List[KeysLine] = []
    for raw in split_lines(content):
        line = parse_keys_line(raw.decode("utf-8", "surrogateescape"))
        if line is not None and line.comment == comment and line.blob != keep_blob:
            removed.append(line)
        else:
            kept.append(raw)
    return b"".join(kept), removed


def with_line(content: bytes, line: str) -> bytes:
    if content and not content.endswith(b"\n"):
        content += b"\n"
    return content + line.encode() + b"\n"


def check_free_space(directory_fd: int, shown: str, needed: int, inodes: int) -> None:
    """Refuses before writing when the write would fill the filesystem."""
    info = os.fstatvfs(directory_fd)
    free = info.f_bavail * info.f_frsize
    if free < needed + FREE_SPACE_MARGIN:
        raise Refused(f"No space left on device: {free} bytes free where {shown} is written, "
                      f"{needed + FREE_SPACE_MARGIN} needed (with a margin of {FREE_SPACE_MARGIN})")
    if info.f_files and info.f_favail < inodes + 1:
        raise Refused(f"No space left on device: no free inode where {shown} is written")


def _test_pause() -> None:
    """Tests interrupt the run in the middle of a write: the marker appears, the write waits."""
    marker = os.environ.get(PAUSE_ENV)
    if marker and not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(30)


@dataclass
class Writer:
    """Writes one user's files; on failure `undo` removes its temporary file and the
    directories it created (deepest first)."""

    volume: Volume
    labels: Labels
    temporary: Optional[Tuple[int, str]] = None
    created: List[Tuple[int, str]] = field(default_factory=list)  # (parent fd, name)

    def undo(self) -> None:
        if self.temporary is not None:
            directory_fd, name = self.temporary
            try:
                os.unlink(name, dir_fd=directory_fd)
            except OSError:
                pass
            os.close(directory_fd)
            self.temporary = None
        for parent_fd, name in reversed(self.created):
            try:
                os.rmdir(name, dir_fd=parent_fd)
            except OSError:
                pass

    def close(self) -> None:
        for parent_fd, _ in self.created:
            os.close(parent_fd)
        self.created = []

    def make_directories(self, real: str, base: str, owner: Tuple[int, int], mode: int,
                         home_fd: Optional[int], needed: int) -> int:
        """A descriptor of the keys file's directory, creating what is missing below `base`
        (after checking the free space where the first write happens)."""
        directory, _ = parent_and_name(real)
        relative = [part for part in directory[len(base.rstrip("/")):].split("/") if part]
        path = base
        fd = self.volume.open_directory(base)
        try:
            index = 0
            while index < len(relative):
                try:
                    child = os.open(relative[index], DIRECTORY_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    break
                os.close(fd)
                fd = child
                path = join(path, relative[index])
                index += 1
            check_free_space(fd, real, needed, len(relative) - index)
            for component in relative[index:]:
                path = join(path, component)
                self._mkdir(fd, component, path, owner, mode, home_fd)
                child = os.open(component, DIRECTORY_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
            return fd
        except OSError as error:
            os.close(fd)
            raise Refused(f"cannot create {path}: {error.strerror}") from None
        except BaseException:
            os.close(fd)
            raise

    def _mkdir(self, parent_fd: int, name: str, shown: str, owner: Tuple[int, int], mode: int,
               home_fd: Optional[int]) -> None:
        os.mkdir(name, mode, dir_fd=parent_fd)
        self.created.append((os.dup(parent_fd), name))
        fd = os.open(name, DIRECTORY_FLAGS, dir_fd=parent_fd)
        try:
            os.fchown(fd, *owner)
            os.fchmod(fd, mode)
            self.labels.label_new(fd, shown, home_fd)
        finally:
            os.close(fd)

    def replace(self, directory_fd: int, name: str, shown: str, content: bytes, existing: Optional[Existing],
                finish: Callable[[int], None]) -> None:
        """Writes `content` to a temporary file, lets `finish` set its owner, mode and label,
        fsyncs, then renames it over `name` (checked to still be the file read, if any)."""
        temporary = f"{TEMP_PREFIX}{os.getpid()}.{time.monotonic_ns() % 1000000:06d}"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                         dir_fd=directory_fd)
        except OSError as error:
            raise Refused(f"cannot create a file in {parent_and_name(shown)[0]}: {error.strerror}") from None
        self.temporary = (os.dup(directory_fd), temporary)  # the caller closes its own descriptor
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view):]
            finish(fd)
            _test_pause()
            os.fsync(fd)
        except OSError as error:
            raise Refused(f"cannot write {shown}: {error.strerror}") from None
        finally:
            os.close(fd)
        if existing is not None:
            now = os.stat(name, dir_fd=directory_fd, follow_symlinks=False)
            if (now.st_dev, now.st_ino) != (existing.info.st_dev, existing.info.st_ino):
                raise Refused(f"{shown} changed while it was being replaced")
        try:
            os.rename(temporary, name, src_dir_fd=directory_fd, dst_dir_fd=directory_fd)
        except OSError as error:
            raise Refused(f"cannot replace {shown}: {error.strerror}") from None
        os.close(self.temporary[0])
        self.temporary = None
        try:
            os.fsync(directory_fd)
        except OSError:
            pass


def copy_attributes(existing: Existing, labels: Labels, shown: str) -> Callable[[int], None]:
    def finish(fd: int) -> None:
        os.fchown(fd, existing.info.st_uid, existing.info.st_gid)
        os.fchmod(fd, stat.S_IMODE(existing.info.st_mode))
        labels.copy(existing.fd, fd, shown)
    return finish


def new_file_attributes(owner: Tuple[int, int], labels: Labels, shown: str, home_fd: Optional[int]) -> Callable[[int], None]:
    def finish(fd: int) -> None:
        os.fchown(fd, *owner)
        os.fchmod(fd, 0o600)
        labels.label_new(fd, shown, home_fd)
    return finish


def keys_file_name(keys_file: KeysFile) -> str:
    return parent_and_name(keys_file.real)[1]
