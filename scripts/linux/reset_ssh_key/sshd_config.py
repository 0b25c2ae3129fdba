"""The volume's sshd configuration: every directive with the Match criteria it sits under.

Bounded against a hostile volume: each file is loaded once (a file including itself, or three
Includes of the main file, cannot multiply the work), at most MAX_FILES files and MAX_BYTES in
all, Include nested at most MAX_DEPTH deep. Include globs are expanded only inside a directory
already resolved within the volume, with fnmatch (no shell, no glob of the helper's files).
"""
import fnmatch
import os
import stat
from dataclasses import dataclass, field
from typing import List, Optional, Set

from reset_ssh_key.paths import Missing, PathError, Volume, join
from reset_ssh_key.report import Report

MAIN_FILE = "/etc/ssh/sshd_config"
MAX_FILES = 64
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 16
_GLOB = set("*?[]")


def split_arguments(text: str) -> Optional[List[str]]:
    """sshd's argument splitting: spaces separate, double quotes group; None when a quote is open."""
    arguments: List[str] = []
    rest = text
    while True:
        rest = rest.lstrip(" \t")
        if not rest:
            return arguments
        if rest[0] == '"':
            end = rest.find('"', 1)
            if end < 0:
                return None
            arguments.append(rest[1:end])
            rest = rest[end + 1:]
        else:
            token = rest.split(None, 1)[0]
            arguments.append(token)
            rest = rest[len(token):]


def wildcard_match(value: str, pattern: str) -> bool:
    """sshd's match_pattern: * any run, ? one character, all else literal. Iterative with one
    backtrack point, so O(len(value) * len(pattern)) at worst, never exponential."""
    v = p = 0
    star_p = -1
    star_v = 0
    while v < len(value):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == value[v]):
            v += 1
            p += 1
        elif p < len(pattern) and pattern[p] == "*":
            star_p, star_v = p, v
            p += 1
        elif star_p >= 0:
            star_v += 1
            v, p = star_v, star_p + 1
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def match_pattern_list(value: str, patterns: str) -> bool:
    """Comma-separated patterns, "!" negates; a negated match wins."""
    found = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        if wildcard_match(value, pattern[1:] if negated else pattern):
            if negated:
                return False
            found = True
    return found


@dataclass
class Directive:
    context: str  # the Match criteria, "" for global lines
    keyword: str  # lower case
    value: str


@dataclass
class SshdConfig:
    directives: List[Directive] = field(default_factory=list)
    problem: Optional[str] = None  # set when a bound was reached: the configuration is incomplete
    found: bool = True


class _Loader:
    def __init__(self, volume: Volume, report: Report) -> None:
        self.volume = volume
        self.report = report
        self.config = SshdConfig()
        self.loaded: Set[str] = set()
        self.bytes = 0

    def bound_reached(self, problem: str) -> None:
        if self.config.problem is None:
            self.config.problem = problem
            self.report.warn(f"sshd_config: {problem}")

    def load(self, path: str, context: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.report.warn(f"sshd_config: Include nested too deeply at {path}")
            return
        try:
            resolved = self.volume.resolve(path).path
        except PathError as error:
            self.report.warn(f"sshd_config: cannot read {path}: {error}")
            return
        if resolved in self.loaded:
            return
        if len(self.loaded) >= MAX_FILES:
            self.bound_reached(f"more than {MAX_FILES} files included (at {path}): the configuration is not evaluated")
            return
        self.loaded.add(resolved)
        try:
            content = self.volume.read_file(path, MAX_BYTES - self.bytes)
        except Missing:
            return
        except PathError as error:
            if "is larger than" in str(error) or "grew beyond" in str(error):
                self.bound_reached(f"more than {MAX_BYTES} bytes in all (at {path}): the configuration is not evaluated")
            else:
                self.report.warn(f"sshd_config: cannot read {path}: {error}")
            return
        except OSError as error:
            self.report.warn(f"sshd_config: cannot read {path}: {error.strerror}")
            return
        self.bytes += len(content)
        self.parse(content.decode("utf-8", "surrogateescape"), context, depth)

    def parse(self, text: str, context: str, depth: int) -> None:
        for raw in text.split("\n"):
            line = raw.strip(" \t\r\f\v")
            if not line or line.startswith("#"):
                continue
            keyword = line
            for index, char in enumerate(line):
                if char in " \t=":
                    keyword = line[:index]
                    break
            value = line[len(keyword):].strip(" \t")
            if value.startswith("="):
                value = value[1:].strip(" \t")
            lowered = keyword.lower()
            if lowered == "match":
                context = value  # "Match all" is still a Match block: it overrides global lines
            elif lowered == "include":
                self.include(value, context, depth)
            else:
                self.config.directives.append(Directive(context, lowered, value))
            if self.config.problem is not None:
                return

    def include(self, value: str, context: str, depth: int) -> None:
        patterns = split_arguments(value)
        if patterns is None:
            self.report.warn(f"sshd_config: unterminated quote in Include {value}")
            return
        for pattern in patterns:
            if not pattern.startswith("/"):
                pattern = "/etc/ssh/" + pattern
            directory, _, base = pattern.rpartition("/")
            if _GLOB & set(directory):
                self.report.warn(f"sshd_config: Include {pattern} not followed (wildcard directory)")
                continue
            try:
                resolved = self.volume.resolve(directory or "/")
            except PathError:
                continue
            if not self.volume.is_directory(resolved.path):
                continue
            if not _GLOB & set(base):
                self.load(join(resolved.path, base), context, depth + 1)
                continue
            for name in self.matching_names(resolved.path, base):
                self.load(join(resolved.path, name), context, depth + 1)
                if self.config.problem is not None:
                    return

    def matching_names(self, directory: str, pattern: str) -> List[str]:
        try:
            fd = self.volume.open_directory(directory)
        except OSError:
            return []
        try:
            names = [name for name in os.listdir(fd) if fnmatch.fnmatchcase(name, pattern) and not name.startswith(".")]
        finally:
            os.close(fd)
        return sorted(names)


def load_sshd_config(volume: Volume, report: Report) -> SshdConfig:
    loader = _Loader(volume, report)
    info = None
    try:
        info = volume.lstat(volume.resolve(MAIN_FILE).path)
    except PathError as error:
        report.warn(f"no readable {MAIN_FILE} on the volume ({error}): sshd defaults assumed")
        loader.config.found = False
        return loader.config
    if info is None or not stat.S_ISREG(info.st_mode):
        reason = f"{MAIN_FILE} does not exist" if info is None else f"{MAIN_FILE} is not a regular file"
        report.warn(f"no readable {MAIN_FILE} on the volume ({reason}): sshd defaults assumed")
        loader.config.found = False
        return loader.config
    loader.load(MAIN_FILE, "", 0)
    return loader.config


class Settings:
    """What the configuration means for one user (name and groups), as sshd applies it."""

    def __init__(self, config: SshdConfig, user: str, groups: List[str], report: Report) -> None:
        self.config = config
        self.user = user
        self.groups = groups
        self.group_set = set(groups)
        self.report = report

    def any_group_matches(self, patterns: str) -> bool:
        """sshd's group matching: some group matches the list and none matches a negated
        pattern. Literal patterns are set lookups, so the cost is linear in the sizes of the
        list and of the groups (wildcards alone are tried against every group)."""
        found = False
        for pattern in patterns.split(","):
            negated = pattern.startswith("!")
            bare = pattern[1:] if negated else pattern
            if "*" in bare or "?" in bare:
                hit = any(wildcard_match(group, bare) for group in self.groups)
            else:
                hit = bare in self.group_set
            if hit and negated:
                return False
            found = found or hit
        return found

    def context_applies(self, context: str) -> Optional[bool]:
        """Whether Match criteria apply: True, False, or None when unknown offline."""
        criteria = split_arguments(context)
        if criteria is None:
            return None
        unknown = False
        index = 0
        while index < len(criteria):
            kind = criteria[index].lower()
            argument = criteria[index + 1] if index + 1 < len(criteria) else ""
            if kind == "all":
                index += 1
                continue
            if kind == "user" and not match_pattern_list(self.user, argument):
                return False
            if kind == "group" and not self.any_group_matches(argument):
                return False
            if kind not in ("user", "group"):
                unknown = True
            index += 2
        return None if unknown else True

    def applicable(self, keyword: str) -> List[Directive]:
        """Directives for keyword that apply: those of matching Match blocks replace global ones."""
        global_: List[Directive] = []
        matched: List[Directive] = []
        for directive in self.config.directives:
            if directive.keyword != keyword:
                continue
            if not directive.context:
                global_.append(directive)
                continue
            applies = self.context_applies(directive.context)
            if applies is None:
                self.report.warn(f"{self.user}: sshd_config sets {keyword} under 'Match {directive.context}', "
                                 "which cannot be evaluated offline")
            elif applies:
                matched.append(directive)
        return matched or global_

    def value(self, keyword: str, default: str) -> str:
        """The value sshd uses (the first one obtained)."""
        directives = self.applicable(keyword)
        return directives[0].value if directives else default

    def values(self, keyword: str) -> List[str]:
        """Every argument of an accumulating keyword (AllowUsers...)."""
        arguments: List[str] = []
        for directive in self.applicable(keyword):
            arguments += split_arguments(directive.value) or []
        return arguments
