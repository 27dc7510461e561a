"""Where tracked data may live in a workspace: the one check every output path passes.

Paths in ``.dvc`` files, ``files:`` lists, directory manifests and remote listings
come from whoever wrote them, so they are hostile input: an output at
``.git/hooks/post-checkout`` would be run by git, one at ``.dvc/cache`` would be
"checked out" over the cache. DVC refuses outputs inside ``.git``/``.dvc``/``.hg``
(its default ignores) and outputs that are DVC files; so does every command here,
before a byte is written or deleted.

Two layers: :func:`path_problem` looks at the path's text only (cheap, no file
system; used when a ``.dvc`` file is parsed, in the workspace or in git history),
and :class:`WorkspacePaths` also resolves symlinked parents and knows the cache
folder (which a config may put anywhere in the workspace).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dvcremote.errors import UnsafePath

if TYPE_CHECKING:
    from dvcremote.dvcfile import Output

#: Folder names no tracked path may pass through (DVC's default ignores). Compared
#: case-insensitively: on a case-folding file system ``.GIT`` is ``.git``.
PROTECTED_DIRS = frozenset({".git", ".dvc", ".hg"})
#: File names DVC treats as its own (``dvc.yaml``, ``dvc.lock``; ``*.dvc`` by suffix).
DVC_FILE_NAMES = frozenset({"dvc.yaml", "dvc.lock"})
#: A protected folder as one segment of "/"- or NUL-separated relpaths (any case).
_PROTECTED_SEGMENT = re.compile(r"(?:^|[/\x00])\.(?:git|dvc|hg)(?=[/\x00]|$)", re.I)


def protected_part(rel: str) -> str | None:
    """The first segment of posix ``rel`` naming a protected folder, if any."""
    for part in rel.split("/"):
        if part.casefold() in PROTECTED_DIRS:
            return part
    return None


def relpaths_problem(relpaths: Iterable[str]) -> str | None:
    """Why one of the relpaths inside a tracked directory is unsafe (a ``.git``,
    ``.dvc`` or ``.hg`` segment), or None; one regex scan for the common clean case."""
    items = list(relpaths)
    if not _PROTECTED_SEGMENT.search("\x00".join(items)):
        return None
    for rel in items:
        part = protected_part(rel)
        if part is not None:
            return f"relpath {rel!r} is inside {part}/"
    return None  # pragma: no cover - the regex and the loop agree


def path_problem(rel: str) -> str | None:
    """Why the normalised repo-relative posix path ``rel`` cannot be an output, or None."""
    if rel in ("", "."):
        return "is the repository root"
    if rel == ".." or rel.startswith(("/", "../")):
        return "is outside the repository"
    part = protected_part(rel)
    if part is not None:
        return f"is inside {part}/"
    name = rel.rsplit("/", 1)[-1]
    if name.casefold() in DVC_FILE_NAMES or name.casefold().endswith(".dvc"):
        return "is a DVC file"
    return None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class WorkspacePaths:
    """The path rules of one workspace: its real root and its cache folder."""

    def __init__(self, root: str, cache_dir: str) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.real_cache = os.path.realpath(cache_dir)
        #: folder -> its resolved path, for folders already found safe (hot in checkout)
        self._safe_dirs: dict[str, str] = {}

    def resolved_problem(self, full: str) -> str | None:
        """Why writing or deleting the absolute path ``full`` is unsafe once its
        parents' symlinks are resolved, or None. The last segment is not followed:
        a symlink there is replaced, never written through."""
        parent = os.path.dirname(full)
        real_parent = self._safe_dirs.get(parent)
        if real_parent is None:
            probe = parent
            while not os.path.lexists(probe):
                probe = os.path.dirname(probe)
            real_parent = os.path.normpath(
                os.path.join(os.path.realpath(probe), os.path.relpath(parent, probe))
            )
            problem = self._folder_problem(real_parent)
            if problem is not None:
                return problem
            if probe == parent:
                self._safe_dirs[parent] = real_parent
        return self._cache_problem(os.path.join(real_parent, os.path.basename(full)))

    def _folder_problem(self, real: str) -> str | None:
        if not _within(real, self.real_root):
            return "leads outside the workspace through a symlink"
        rel = os.path.relpath(real, self.real_root).replace(os.sep, "/")
        part = protected_part(rel) if rel != "." else None
        return None if part is None else f"leads into {part}/ through a symlink"

    def _cache_problem(self, real: str) -> str | None:
        if _within(real, self.real_cache):
            return "is the cache folder or inside it"
        if _within(self.real_cache, real):
            return "holds the cache folder"
        return None

    def problem(self, rel: str) -> str | None:
        """:func:`path_problem`, then the same rules with symlinked parents resolved,
        and the cache folder (wherever the config puts it) refused too."""
        return path_problem(rel) or self.resolved_problem(
            os.path.join(self.root, *rel.split("/"))
        )

    def check_output(self, out: Output) -> None:
        """Raise UnsafePath (naming the ``.dvc`` file and the path) unless ``out`` may be
        written and deleted."""
        reason = self.problem(out.repo_path)
        if reason is not None:
            raise UnsafePath(out.path, reason, source=out.dvcfile.path if out.dvcfile else None)

    def check_outputs(self, outputs: Iterable[Output]) -> None:
        for out in outputs:
            self.check_output(out)
