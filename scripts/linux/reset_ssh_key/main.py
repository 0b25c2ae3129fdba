"""reset_ssh_key (--device DEV | --root DIR) --public-key 'KEY' [--users auto|NAME,NAME]
                [--revoke-comment COMMENT] [--deadline SECONDS]

Prints status lines, then one JSON line. Exit 0 only when at least one user can now log in with
the key; 1 otherwise; 2 for a usage error or a refused key; 129/130/143 when interrupted.
"""
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from typing import List, Optional

from reset_ssh_key import deadline
from reset_ssh_key.accounts import Groups, parse_passwd, parse_shadow
from reset_ssh_key.cleanup import Cleanup
from reset_ssh_key.devices import DeviceError, DeviceScan, refuse_device_in_use
from reset_ssh_key.keys import KeyRefused, PublicKey, parse_public_key
from reset_ssh_key.locate import Refused
from reset_ssh_key.mounts import Mounted, choose_root, mount_home_filesystems, mount_root
from reset_ssh_key.paths import Missing, PathError, Volume, is_os_root
from reset_ssh_key.report import EXIT_USAGE, Report, log
from reset_ssh_key.selinux import Labels, volume_mode
from reset_ssh_key.sshd_config import load_sshd_config
from reset_ssh_key.users import Context, select_users, serve_user

USAGE = ("usage: reset-ssh-key (--device DEV | --root DIR) --public-key 'KEY' [--users auto|NAME,NAME] "
         "[--revoke-comment COMMENT] [--deadline SECONDS]")
MAX_ACCOUNT_FILE_BYTES = 4 * 1024 * 1024
_COMMENT = re.compile(r"[A-Za-z0-9@._:+-]{1,100}")


class RunFailed(Exception):
    def __init__(self, reason: str, status: int = 1) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Arguments:
    device: str = ""
    root: str = ""
    public_key: str = ""
    users: str = "auto"
    revoke_comment: Optional[str] = None
    deadline: int = deadline.DEFAULT_SECONDS
    help: bool = False


def parse_arguments(argv: List[str]) -> Arguments:
    arguments = Arguments()
    options = {"--device": "device", "--root": "root", "--public-key": "public_key", "--users": "users",
               "--revoke-comment": "revoke_comment", "--deadline": "deadline"}
    index = 0
    while index < len(argv):
        option = argv[index]
        if option in ("-h", "--help"):
            arguments.help = True
            return arguments
        if option in options:
            if index + 1 >= len(argv):
                raise RunFailed(f"{option} needs a value", EXIT_USAGE)
            setattr(arguments, options[option], argv[index + 1])
            index += 2
        elif option.startswith("--"):
            raise RunFailed(f"unknown option {option.split('=', 1)[0]}", EXIT_USAGE)
        else:
            raise RunFailed("unexpected argument (values follow their option)", EXIT_USAGE)
    if not arguments.device and not arguments.root:
        raise RunFailed("one of --device and --root is required", EXIT_USAGE)
    if arguments.device and arguments.root:
        raise RunFailed("--device and --root exclude each other", EXIT_USAGE)
    if not arguments.public_key:
        raise RunFailed("--public-key is required", EXIT_USAGE)
    if not arguments.users:
        raise RunFailed("--users is empty (use auto or NAME,NAME)", EXIT_USAGE)
    if arguments.revoke_comment is not None and not _COMMENT.fullmatch(arguments.revoke_comment):
        raise RunFailed("--revoke-comment must be 1 to 100 of A-Z a-z 0-9 @ . _ : + - "
                        "(the comment of the key to remove, such as ec2-reset-access@i-0123456789abcdef0)", EXIT_USAGE)
    seconds = str(arguments.deadline)
    if not seconds.isdigit() or not 1 <= int(seconds) <= 86400:
        raise RunFailed("--deadline must be a number of seconds from 1 to 86400", EXIT_USAGE)
    arguments.deadline = int(seconds)
    return arguments


def read_account_file(volume: Volume, path: str) -> str:
    return volume.read_file(path, MAX_ACCOUNT_FILE_BYTES).decode("utf-8", "surrogateescape")


def attach_device(arguments: Arguments, work: str, cleanup: Cleanup, report: Report) -> Mounted:
    shown = arguments.device
    log(f"==> Looking for the OS root on {shown}")
    if not os.path.exists(shown):
        raise RunFailed(f"{shown} does not exist")
    device = os.path.realpath(shown)
    if not stat.S_ISBLK(os.stat(device).st_mode):
        raise RunFailed(f"{shown} is not a block device")
    refuse_device_in_use(device, shown)
    candidates = DeviceScan(shown, cleanup, report).collect(device)
    if not candidates:
        raise RunFailed(f"no ext4, XFS or btrfs filesystem found on {shown}")
    chosen = choose_root(candidates, work, cleanup, report, shown)
    root = mount_root(chosen, work, cleanup)
    report.filesystem = chosen.type
    return Mounted(root, chosen, candidates)


def use_root_directory(arguments: Arguments, report: Report) -> str:
    if not os.path.isdir(arguments.root):
        raise RunFailed(f"{arguments.root} is not a directory")
    directory = os.path.realpath(arguments.root)
    volume = Volume(directory)
    try:
        if not is_os_root(volume):
            raise RunFailed(f"{arguments.root} does not hold an OS root (etc/passwd and etc/os-release)")
    finally:
        volume.close()
    try:
        report.filesystem = deadline.run(["findmnt", "-n", "-o", "FSTYPE", "--target", directory], "find").strip()
    except deadline.CommandFailed:
        report.filesystem = ""
    log(f"==> Using the root directory {directory} ({report.filesystem})")
    return directory


def serve(arguments: Arguments, key: PublicKey, work: str, cleanup: Cleanup, report: Report) -> None:
    mounted = attach_device(arguments, work, cleanup, report) if arguments.device else None
    root = mounted.root if mounted else use_root_directory(arguments, report)
    log("==> Reading the volume's accounts and sshd configuration")
    volume = Volume(root)
    try:
        try:
            accounts = parse_passwd(read_account_file(volume, "/etc/passwd"), report)
        except (PathError, OSError) as error:
            raise RunFailed(f"cannot read the volume's /etc/passwd: {error}") from None
        if not accounts:
            raise RunFailed("the volume's /etc/passwd has no valid entry")
        if mounted is not None:
            mount_home_filesystems(mounted, [account.home for account in accounts.values()], cleanup)
        context = Context(volume, report, key, arguments.revoke_comment, accounts,
                          Groups(_optional_file(volume, "/etc/group")), parse_shadow(_optional_file(volume, "/etc/shadow")),
                          load_sshd_config(volume, report), Labels(False), mounted.unavailable if mounted else {})
        mode = volume_mode(volume)
        context.labels.enabled = mode in ("enforcing", "permissive")
        log(f"    SELinux on the volume: {mode or 'not configured'}")
        log(f"==> Choosing the users: {'auto' if arguments.users == 'auto' else 'as named'}")
        try:
            selected = select_users(context, arguments.users)
        except Refused as error:
            raise RunFailed(str(error)) from None
        verb = "Replacing the key" if arguments.revoke_comment else "Adding the key"
        log(f"==> {verb} for: {' '.join(account.name for account in selected) or '(nobody)'}")
        for account in selected:
            report.add_user(serve_user(context, account))
        context.labels.apply(volume, report)
    finally:
        volume.close()


def _optional_file(volume: Volume, path: str) -> str:
    try:
        return read_account_file(volume, path)
    except (Missing, PathError, OSError):
        return ""


def main(argv: List[str]) -> int:
    report = Report()
    cleanup = Cleanup()
    work: Optional[str] = None
    status = 0
    try:
        deadline.arm(deadline.DEFAULT_SECONDS)  # until the arguments say otherwise
        arguments = parse_arguments(argv)
        if arguments.help:
            log(USAGE)
            return 0
        deadline.arm(arguments.deadline)
        report.device = arguments.device or None
        report.revoking = arguments.revoke_comment is not None
        key = parse_public_key(arguments.public_key)
        log(f"==> Public key: {key.type} {key.fingerprint}{' (' + key.comment + ')' if key.comment else ''}")
        if os.geteuid() != 0:
            raise RunFailed("must run as root")
        os.umask(0o077)
        work = tempfile.mkdtemp(prefix="reset-ssh-key.")
        serve(arguments, key, work, cleanup, report)
    except RunFailed as error:
        if error.status == EXIT_USAGE:
            log(USAGE)
        report.failure = str(error)
        log(f"ERROR: {error}")
        status = error.status
    except KeyRefused as error:
        report.failure = str(error)
        log(f"ERROR: {error}")
        status = EXIT_USAGE
    except (DeviceError, deadline.CommandFailed) as error:
        report.failure = str(error)
        log(f"ERROR: {error}")
        status = 1
    except deadline.Interrupted as interruption:
        report.failure = interruption.reason
        log(f"ERROR: {interruption.reason}")
        status = interruption.status
    except Exception as error:  # a bug: still clean up and report
        report.failure = f"internal error: {type(error).__name__}: {error}"
        log(f"ERROR: {report.failure}")
        status = 1
    finally:
        deadline.disarm()
        cleanup.run()
        if work is not None:
            try:
                os.rmdir(work)
            except OSError:
                cleanup.problems.append(f"could not remove {work}")
        report.cleanup_problems = cleanup.problems
    return report.finish(status)
