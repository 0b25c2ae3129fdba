"""Serving one user: revoke, add the key, check what would still stop the login. A failure is
that user's refusal (with its reason); the others are still served."""
import os
import stat
from dataclasses import dataclass
from typing import Dict, List, Optional

from reset_ssh_key.access import Blockers, check_account, check_sshd_access, check_strict_modes
from reset_ssh_key.accounts import Account, Groups, Shadow, valid_user_name
from reset_ssh_key.install import (Existing, Writer, copy_attributes, has_key, new_file_attributes, open_existing,
                                   with_line, without_comment)
from reset_ssh_key.keys import PublicKey, fingerprint
from reset_ssh_key.locate import (KeysFile, Refused, keys_files, locate_home, locate_keys_file, unavailable_reason)
from reset_ssh_key.paths import PathError, Volume, parent_and_name
from reset_ssh_key.report import Report, UserResult, log
from reset_ssh_key.selinux import Labels
from reset_ssh_key.sshd_config import Settings, SshdConfig

CLOUD_USERS = ("ec2-user", "ubuntu", "admin", "debian", "centos", "rocky", "almalinux", "fedora", "cloud-user",
               "bitnami", "opc", "core", "arch", "alpine", "kali")


@dataclass
class Context:
    volume: Volume
    report: Report
    key: PublicKey
    revoke_comment: Optional[str]
    accounts: Dict[str, Account]
    groups: Groups
    shadow: Dict[str, Shadow]
    sshd: SshdConfig
    labels: Labels
    unavailable: Dict[str, str]

    def settings(self, account: Account) -> Settings:
        return Settings(self.sshd, account.name, self.groups.of(account), self.report)


@dataclass
class Outcome:
    file: str
    action: str
    revoked: List[str]


class UserRun:
    """One user's run: what it opened is closed, what it half did is undone on failure."""

    def __init__(self, context: Context, account: Account, home: str) -> None:
        self.context = context
        self.account = account
        self.home = home
        self.writer = Writer(context.volume, context.labels)
        self.revoked: List[str] = []

    def owner(self) -> "tuple[int, int]":
        return self.account.uid, self.account.gid

    def located(self, shown: str) -> KeysFile:
        located = locate_keys_file(self.context.volume, shown, self.account, self.home)
        reason = unavailable_reason(located.real, self.context.unavailable)
        if reason:
            raise Refused(f"{shown}: {reason}")
        return located

    def open_checked(self, located: KeysFile) -> Optional[Existing]:
        """The existing file checked on its descriptor, or None when there is none."""
        directory, name = parent_and_name(located.real)
        try:
            directory_fd = self.context.volume.open_directory(directory)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise Refused(f"cannot open the directory of {located.shown}: {error.strerror}") from None
        try:
            try:
                os.stat(name, dir_fd=directory_fd, follow_symlinks=False)
            except FileNotFoundError:
                return None
            return open_existing(directory_fd, name, located.shown, self.account.uid)
        finally:
            os.close(directory_fd)

    def home_fd(self, located: KeysFile) -> Optional[int]:
        return self.context.volume.open_directory(self.home) if located.under_home else None

    def write(self, located: KeysFile, existing: Optional[Existing], content: bytes) -> None:
        base, mode, owner = (self.home, 0o700, self.owner()) if located.under_home else ("/", 0o755, (0, 0))
        home_fd = self.home_fd(located) if self.context.labels.enabled else None
        try:
            directory_fd = self.writer.make_directories(located.real, base, owner, mode, home_fd, len(content))
            try:
                name = parent_and_name(located.real)[1]
                if existing is None:
                    finish = new_file_attributes(self.owner(), self.context.labels, located.shown, home_fd)
                else:
                    finish = copy_attributes(existing, self.context.labels, located.shown)
                self.writer.replace(directory_fd, name, located.shown, content, existing, finish)
            finally:
                os.close(directory_fd)
        finally:
            if home_fd is not None:
                os.close(home_fd)

    def revoke_in(self, located: KeysFile, existing: Existing) -> Optional[bytes]:
        """The content without the revoked lines, or None when nothing is revoked there."""
        comment = self.context.revoke_comment
        if comment is None:
            return None
        content, removed = without_comment(existing.content, comment, self.context.key.blob)
        if not removed:
            return None
        self.revoked += [fingerprint(line.blob) for line in removed]
        return content

    def serve(self, files: List[str]) -> Outcome:
        key = self.context.key
        present: Optional[str] = None
        for shown in files:  # the key counts as present in any file sshd reads
            try:
                located = self.located(shown)
                existing = self.open_checked(located)
            except Refused:
                continue
            if existing is None:
                continue
            try:
                line = has_key(existing.content, key.blob)
            finally:
                os.close(existing.fd)
            if line is not None and present is None:
                present = shown
                if line.options:
                    self.context.report.warn(f"{self.account.name}: the key is already in {shown} with options "
                                             f"({line.options[:60]}), which may restrict the login")
        if present is not None:
            for shown in files:
                self.revoke_elsewhere(shown)
            return Outcome(present, "present", self.revoked)
        primary = self.located(files[0])
        existing = self.open_checked(primary)
        try:
            content = existing.content if existing is not None else b""
            revoked = self.revoke_in(primary, existing) if existing is not None else None
            self.write(primary, existing, with_line(revoked if revoked is not None else content, key.line))
        finally:
            if existing is not None:
                os.close(existing.fd)
        self.verify(primary)
        self.writer.close()  # written: the directories it created are the file's now
        for shown in files[1:]:
            self.revoke_elsewhere(shown)
        return Outcome(files[0], "appended" if existing is not None else "created", self.revoked)

    def revoke_elsewhere(self, shown: str) -> None:
        if self.context.revoke_comment is None:
            return
        try:
            located = self.located(shown)
            existing = self.open_checked(located)
        except Refused as error:
            self.context.report.warn(f"{self.account.name}: {error}: not checked for keys to revoke")
            return
        if existing is None:
            return
        try:
            content = self.revoke_in(located, existing)
            if content is not None:
                self.write(located, existing, content)
        except Refused as error:
            self.writer.undo()
            self.context.report.warn(f"{self.account.name}: keys to revoke stay in {shown}: {error}")
        finally:
            os.close(existing.fd)

    def verify(self, written: KeysFile) -> None:
        existing = self.open_checked(written)
        if existing is None or has_key(existing.content, self.context.key.blob) is None:
            if existing is not None:
                os.close(existing.fd)
            raise Refused(f"the key is not in {written.shown} after writing it")
        os.close(existing.fd)


def serve_user(context: Context, account: Account) -> UserResult:
    run: Optional[UserRun] = None
    shown: Optional[str] = None
    try:
        home = locate_home(context.volume, account, context.unavailable)
        if context.sshd.problem is not None:
            raise Refused(f"the volume's sshd configuration cannot be evaluated: {context.sshd.problem}")
        settings = context.settings(account)
        files = keys_files(settings, account)
        shown = files[0]
        run = UserRun(context, account, home)
        outcome = run.serve(files)
        shown = outcome.file
    except (Refused, PathError) as error:
        if run is not None:
            run.writer.undo()
        log(f"REFUSED {account.name}: {error}")
        return UserResult(account.name, shown, "refused", str(error), True, run.revoked if run else [])
    except BaseException:
        if run is not None:
            run.writer.undo()
        raise
    finally:
        if run is not None:
            run.writer.close()
    blockers = Blockers(account.name, context.report)
    check_sshd_access(settings, account.name, blockers, context.report)
    located = locate_keys_file(context.volume, outcome.file, account, home)
    check_strict_modes(context.volume, settings, account.uid, located.real, home, blockers)
    check_account(account, context.shadow.get(account.name), settings, blockers)
    log(f"{outcome.action.upper():<8} {account.name}: {outcome.file}")
    for print_ in outcome.revoked:
        log(f"REVOKED  {account.name}: {print_} ({context.revoke_comment})")
    return UserResult(account.name, outcome.file, outcome.action, None, bool(blockers.found), outcome.revoked)


def has_keys_file(context: Context, account: Account) -> bool:
    try:
        home = context.volume.resolve(account.home).path
        files = keys_files(context.settings(account), account)
        for shown in files:
            try:
                located = locate_keys_file(context.volume, shown, account, home)
            except Refused:
                continue
            info = context.volume.lstat(located.real)
            if info is not None and stat.S_ISREG(info.st_mode):
                return True
    except (Refused, PathError, OSError):
        return False
    return False


def select_users(context: Context, spec: str) -> List[Account]:
    report = context.report
    if spec == "auto":
        chosen = [account for name, account in context.accounts.items()
                  if name != "root" and (name in CLOUD_USERS or has_keys_file(context, account))]
        if not chosen:
            raise Refused("no login user found in the volume's /etc/passwd (looked for "
                          f"{' '.join(CLOUD_USERS)} and users with a keys file): name one with --users")
        return chosen
    selected: List[Account] = []
    for name in "".join(spec.split()).split(","):
        if not name or any(account.name == name for account in selected):
            continue
        if not valid_user_name(name):
            # A long value is not echoed back: it could be a secret pasted by mistake.
            shown = name if len(name) <= 32 else f"(a value of {len(name)} characters)"
            log(f"REFUSED {shown}: invalid user name")
            report.add_user(UserResult(shown, None, "refused", "invalid user name", True))
        elif name not in context.accounts:
            log(f"REFUSED {name}: not in /etc/passwd")
            report.add_user(UserResult(name, None, "refused", "no such user in the volume's /etc/passwd", True))
        else:
            selected.append(context.accounts[name])
    return selected
