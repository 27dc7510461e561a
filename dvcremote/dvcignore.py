"""DVC's ``.dvcignore``: which workspace paths the data walk leaves out.

The rules are DVC's (and so the directory hashes are): gitignore patterns through
pathspec's ``GitIgnoreSpecPattern``, each line stripped at both ends, blank and ``#``
lines skipped; a ``.dvcignore`` may sit in any directory, its patterns relative to
that directory and applied after its parents', the last matching rule deciding.
``.git``, ``.hg`` and ``.dvc`` folders are always left out, and so is a nested DVC
project (a folder with its own ``.dvc/``). A ``.dvcignore`` inside a tracked
directory is an error, as in DVC: its rules would change the directory's hash.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING

from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

from dvcremote.errors import DvcIgnoreError, IgnoredOutput

if TYPE_CHECKING:
    from dvcremote.dvcfile import Output

FILENAME = ".dvcignore"
#: Folders the walk never enters, whatever the rules say.
BUILTIN_DIRS = frozenset({".git", ".hg", ".dvc"})
#: What ``dvcremote init`` writes, byte for byte as ``dvc init``.
INITIAL = (
    "# Add patterns of files dvc should ignore, which could improve\n"
    "# the performance. Learn more at\n"
    "# https://dvc.org/doc/user-guide/dvcignore\n"
)


@dataclass(frozen=True)
class Rule:
    """One pattern line of one ``.dvcignore``."""

    #: Repo-relative posix folder holding the ``.dvcignore`` ("" for the root).
    folder: str
    #: 1-based line number in that file.
    line: int
    #: The pattern as written, stripped.
    text: str
    pattern: GitIgnoreSpecPattern

    @property
    def source(self) -> str:
        """The ``.dvcignore`` path, repo-relative."""
        return f"{self.folder}/{FILENAME}" if self.folder else FILENAME

    @property
    def negated(self) -> bool:
        return self.pattern.include is False

    @property
    def dir_only(self) -> bool:
        return self.text.endswith("/")

    def matches(self, path: str) -> bool:
        """Whether the pattern matches repo-relative ``path`` (a folder ends in ``/``)."""
        if self.folder:
            if not path.startswith(self.folder + "/"):
                return False
            path = path[len(self.folder) + 1 :]
        return self.pattern.match_file(path) is not None


def parse(folder: str, text: str) -> tuple[Rule, ...]:
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern = GitIgnoreSpecPattern(line)
        if pattern.include is not None:
            rules.append(Rule(folder, number, line, pattern))
    return tuple(rules)


def decide(rules: Sequence[Rule], path: str, is_dir: bool) -> Rule | None:
    """The rule that decides about ``path`` itself, or None: DVC's lookup, which also
    picks the rule ``check-ignore -d`` names.

    Consecutive rules of one kind (ignore or ``!``, folders-only or not) form a group;
    the last group with a match decides. Within a group of ignore rules the first
    match is named, within ``!`` rules the last (DVC combines only ignore rules into
    one regex).
    """
    candidates = (path, path + "/") if is_dir else (path,)
    groups = [list(g) for _, g in groupby(rules, key=lambda r: (r.negated, r.dir_only))]
    for group in reversed(groups):
        if group[0].dir_only and not is_dir:
            continue
        if group[0].negated:
            for rule in reversed(group):
                if any(rule.matches(p) for p in candidates):
                    return rule
            continue
        for candidate in candidates:
            for rule in group:
                if rule.matches(candidate):
                    return rule
    return None


class DvcIgnore:
    """The ``.dvcignore`` rules of one workspace, each file read once per instance."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._files: dict[str, tuple[Rule, ...]] = {}

    def _full(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/")) if rel else self.root

    def rules_in(self, folder: str) -> tuple[Rule, ...]:
        """The rules of ``folder``'s own ``.dvcignore`` (none if it has none)."""
        found = self._files.get(folder)
        if found is None:
            path = os.path.join(self._full(folder), FILENAME)
            try:
                with open(path, encoding="utf-8") as f:
                    found = parse(folder, f.read())
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                found = ()
            except UnicodeDecodeError as exc:
                raise DvcIgnoreError(f"{path}: not valid UTF-8 ({exc.reason})") from None
            self._files[folder] = found
        return found

    def rules_for(self, folder: str) -> tuple[Rule, ...]:
        """Every rule that applies inside ``folder``: its own and its ancestors' files,
        root first (a child's rules come after, so they can re-include)."""
        parts = folder.split("/") if folder else []
        found: list[Rule] = list(self.rules_in(""))
        for depth in range(1, len(parts) + 1):
            found += self.rules_in("/".join(parts[:depth]))
        return tuple(found)

    def explain(self, path: str, is_dir: bool) -> tuple[bool, list[Rule]]:
        """(ignored?, the deciding rules): for ``path`` itself, or for the first parent
        folder that is ignored. What ``check-ignore -d`` prints."""
        parts = path.split("/")
        rules = self.rules_for("/".join(parts[:-1]))
        for depth in range(1, len(parts) + 1):
            last = depth == len(parts)
            rule = decide(rules, "/".join(parts[:depth]), is_dir or not last)
            ignored = rule is not None and not rule.negated
            if last or ignored:
                return ignored, [rule] if rule is not None else []
        return False, []  # not reached: the last part returns

    def decides(self, path: str, is_dir: bool) -> bool:
        """Whether the rules ignore ``path`` itself (its parents assumed walked into)."""
        rule = decide(self.rules_for(path.rpartition("/")[0]), path, is_dir)
        return rule is not None and not rule.negated

    def is_ignored(self, path: str, is_dir: bool | None = None) -> bool:
        """Whether the walk leaves ``path`` (repo-relative posix) out, itself or by a parent."""
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            last = depth == len(parts)
            if parts[depth - 1] in BUILTIN_DIRS and not (last and is_dir is False):
                return True
            folder = is_dir if last else True
            if folder is None:
                folder = os.path.isdir(self._full(prefix))
            if folder and os.path.isdir(os.path.join(self._full(prefix), ".dvc")):
                return True  # a nested DVC project
            if self.decides(prefix, folder):
                return True
        return False

    def check_outputs(self, outputs: Iterable[Output]) -> None:
        """Raise IgnoredOutput for the first output whose own path, or a folder above it,
        the rules ignore: dvc refuses such an output (its ``OutputIsIgnoredError``)
        rather than treat it as missing, in every command."""
        for out in outputs:
            rel = out.repo_path
            if not self.rules_for(rel.rpartition("/")[0]):
                continue  # no rule applies here: the common case, no stat
            ignored, rules = self.explain(rel, os.path.isdir(self._full(rel)))
            if ignored and rules:
                rule, dvcfile = rules[-1], out.dvcfile
                source = rel if dvcfile is None else getattr(dvcfile, "label", dvcfile.path)
                where = f"{rule.source}:{rule.line}:{rule.text}"
                raise IgnoredOutput(source, self._full(rel), where)

    def walker(self, folder: str) -> Walker:
        """A matcher for the walk of tracked directory ``folder``: checks each entry
        against the rules above it, and refuses a ``.dvcignore`` inside it."""
        return Walker(folder, self.rules_for(folder))


class Walker:
    """Decides entries of one directory walk; the rules cannot change below its top."""

    def __init__(self, top: str, rules: tuple[Rule, ...]) -> None:
        self.top = top
        self.rules = rules

    def skip(self, rel: str, name: str, is_dir: bool, full: str) -> bool:
        """Whether entry ``rel`` (relative to the walk's top) is left out."""
        if is_dir:
            if name in BUILTIN_DIRS or os.path.isdir(os.path.join(full, ".dvc")):
                return True
        elif name == FILENAME:
            raise DvcIgnoreError(
                f"{FILENAME} file should not be in collected dir path: {self.top!r}"
            )
        if not self.rules:
            return False
        rule = decide(self.rules, f"{self.top}/{rel}" if self.top else rel, is_dir)
        return rule is not None and not rule.negated
