"""Reading ``.dvc`` files straight from git trees, across many commits, without a checkout.

History-wide commands look at hundreds of commits that mostly share the same
files. Git names every tree and blob by its content, so the ``.dvc`` files
under a tree are a pure function of the tree's id, and a blob's bytes of the
blob's id: both are cached, so a commit that changes one file costs the trees
on that file's path plus one blob read. A big tree not seen before is derived
from the last one seen at the same path through libgit2's tree diff (in C)
rather than by listing its entries in Python, so even a folder of thousands of
``.dvc`` files that every commit changes stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import pygit2
from pygit2.enums import FileMode

from dvcremote.errors import HistoricDvcfileError, ScmError
from dvcremote.scm.git import Git
from dvcremote.scm.revisions import Revision

T = TypeVar("T")

DVC_DIR = ".dvc"
DVCFILE_SUFFIX = ".dvc"

_FILE_MODES = (FileMode.BLOB, FileMode.BLOB_EXECUTABLE)


#: A pipeline's files: ``dvc.lock`` records outputs, ``dvc.yaml`` their flags and wdir.
PIPELINE_FILES = frozenset({"dvc.lock", "dvc.yaml"})


def is_dvcfile_name(name: str) -> bool:
    """``data.dvc`` is a DVC file; ``.dvc`` (DVC's own folder name) is not."""
    return name.endswith(DVCFILE_SUFFIX) and name != DVCFILE_SUFFIX


def _tracks(name: str) -> bool:
    """Whether a file may record tracked outputs: a ``.dvc`` file or a pipeline's."""
    return is_dvcfile_name(name) or name in PIPELINE_FILES


@dataclass(frozen=True)
class _Node:
    """What one tree holds, as far as ``.dvc`` files go. Shared, so never mutated once built."""

    files: Mapping[str, pygit2.Oid]  # .dvc files directly in the tree: name -> blob
    subtrees: Mapping[str, pygit2.Oid]  # folders with .dvc files somewhere below: name -> tree
    dirs: Mapping[str, pygit2.Oid]  # every folder but .dvc: where a later diff finds its base

    @property
    def empty(self) -> bool:
        return not self.files and not self.subtrees


# A folder holding its own ``.dvc`` folder: a nested DVC project, whose files are its own.
_NESTED = _Node({}, {}, {})

_Base = tuple[pygit2.Oid, _Node]


@dataclass(frozen=True)
class DvcfileBlob:
    """One distinct ``.dvc`` file content, and each path it sits at with a revision holding it."""

    oid: str
    data: bytes
    places: tuple[tuple[Revision, str], ...]


@dataclass(frozen=True)
class ParsedDvcfile(Generic[T]):
    """A distinct ``.dvc`` blob with the caller's parse result, computed once per blob."""

    blob: DvcfileBlob
    parsed: T


class DvcfileReader:
    """Lists and reads the ``.dvc`` files of commits, sharing work between commits.

    ``subdir`` is the DVC project's folder inside the git work tree ("" when they
    coincide); paths are returned relative to it. Below it, ``.dvc`` folders are
    skipped and so are folders holding one (nested DVC projects are their own).
    One reader can be reused for many calls; its caches only grow.
    """

    #: From this many entries on, a tree not seen before is derived by diff from the
    #: last tree seen at its path instead of being listed (measured crossover ~100-400).
    diff_from_entries = 200

    def __init__(self, git: Git, *, subdir: str = "") -> None:
        self.git = git
        self.subdir = subdir.strip("/")
        self._repo = git.repo
        self._nodes: dict[pygit2.Oid, _Node] = {}
        self._tops: dict[pygit2.Oid, _Node] = {}
        self._last_at: dict[str, _Base] = {}  # path -> the last tree built there
        self._blobs: dict[pygit2.Oid, bytes] = {}

    # -- trees -----------------------------------------------------------------------------

    def _tree(self, oid: pygit2.Oid) -> pygit2.Tree:
        tree = self._repo[oid]
        assert isinstance(tree, pygit2.Tree)
        return tree

    def _node(self, oid: pygit2.Oid, path: str = "") -> _Node:
        """The node of the tree at ``path`` ("" is the project root) with id ``oid``.

        The project root's own ``.dvc`` folder is expected; any other folder
        holding a ``.dvc`` folder is a nested project. A big tree is derived from
        the last tree seen at the same path through one libgit2 diff (in C);
        listing entries in Python costs about 2 us each, too much for a folder of
        thousands of ``.dvc`` files that every commit changes.
        """
        cache = self._nodes if path else self._tops
        node = cache.get(oid)
        if node is not None:
            return node
        tree = self._tree(oid)
        base = self._last_at.get(path) if len(tree) >= self.diff_from_entries else None
        if base is not None and base[1] is not _NESTED:
            changes: dict[str, set[str]] = {}  # folder path -> names that differ directly in it
            for delta in self._tree(base[0]).diff_to_tree(tree).deltas:
                for changed in (delta.old_file.path, delta.new_file.path):
                    parts = changed.split("/")
                    for depth, name in enumerate(parts):
                        changes.setdefault("/".join(parts[:depth]), set()).add(name)
            node = self._patch(tree, base[1], path, "", changes)
        else:
            node = self._list_node(tree, path)
        cache[oid] = node
        self._last_at[path] = (oid, node)
        return node

    def _list_node(self, tree: pygit2.Tree, path: str) -> _Node:
        if path and DVC_DIR in tree and tree[DVC_DIR].filemode == FileMode.TREE:
            return _NESTED
        files: dict[str, pygit2.Oid] = {}
        subtrees: dict[str, pygit2.Oid] = {}
        dirs: dict[str, pygit2.Oid] = {}
        for entry in tree:
            name = entry.name
            assert name is not None
            mode = entry.filemode
            if mode == FileMode.TREE:
                if name != DVC_DIR:
                    dirs[name] = entry.id
                    if not self._node(entry.id, f"{path}/{name}" if path else name).empty:
                        subtrees[name] = entry.id
            elif mode in _FILE_MODES and _tracks(name):
                files[name] = entry.id
        return _Node(files, subtrees, dirs)

    def _patch(
        self, tree: pygit2.Tree, base: _Node, path: str, rel: str, changes: dict[str, set[str]]
    ) -> _Node:
        """The node of ``tree``: ``base`` (the node at the same ``path``) with ``changes`` applied.

        ``rel`` is ``path`` relative to the folder whose diff produced ``changes``.
        """
        names = changes.get(rel, set())
        if base is _NESTED or (path and DVC_DIR in names):
            return self._list_node(tree, path)  # it may have become or stopped being nested
        files = dict(base.files)
        subtrees = dict(base.subtrees)
        dirs = dict(base.dirs)
        for name in names:
            files.pop(name, None)
            subtrees.pop(name, None)
            base_dir = dirs.pop(name, None)
            if name == DVC_DIR or name not in tree:
                continue
            entry = tree[name]
            if entry.filemode == FileMode.TREE:
                dirs[name] = entry.id
                sub_path = f"{path}/{name}" if path else name
                child = self._nodes.get(entry.id)
                base_child = self._nodes.get(base_dir) if base_dir is not None else None
                if child is None and base_child is not None:
                    sub_rel = f"{rel}/{name}" if rel else name
                    subtree = self._tree(entry.id)
                    child = self._patch(subtree, base_child, sub_path, sub_rel, changes)
                    self._nodes[entry.id] = child
                    self._last_at[sub_path] = (entry.id, child)
                elif child is None:
                    child = self._node(entry.id, sub_path)
                if not child.empty:
                    subtrees[name] = entry.id
            elif entry.filemode in _FILE_MODES and _tracks(name):
                files[name] = entry.id
        return _Node(files, subtrees, dirs)

    def _root(self, sha: str) -> _Base | None:
        """The project root's tree id and node at a commit; None if the commit lacks it."""
        try:
            commit = self._repo[sha]
            assert isinstance(commit, pygit2.Commit)
            tree = commit.tree
            if self.subdir:
                try:
                    entry = tree[self.subdir]
                except KeyError:
                    return None
                if entry.filemode != FileMode.TREE:
                    return None
                oid = entry.id
            else:
                oid = tree.id
            root = oid, self._node(oid)
        except (KeyError, pygit2.GitError) as exc:
            raise ScmError(f"cannot read the files of commit {sha}: {exc}") from exc
        return root

    # -- one revision ----------------------------------------------------------------------

    def _commit_files(self, sha: str) -> list[tuple[str, pygit2.Oid]]:
        root = self._root(sha)
        found: list[tuple[str, pygit2.Oid]] = []
        stack = [("", root[1])] if root else []
        while stack:
            prefix, node = stack.pop()
            found.extend((prefix + name, blob) for name, blob in node.files.items())
            stack.extend(
                (f"{prefix}{name}/", self._nodes[sub]) for name, sub in node.subtrees.items()
            )
        found.sort()
        return found

    def _sha(self, rev: str | Revision) -> str:
        if isinstance(rev, Revision):
            if rev.sha is None:
                raise ScmError("the workspace is not in git: read its .dvc files from disk")
            return rev.sha
        return self.git.resolve(rev)

    def files(self, rev: str | Revision) -> list[tuple[str, str]]:
        """(path, blob sha) of every ``.dvc`` file at a revision, sorted by path."""
        return [(path, str(oid)) for path, oid in self._commit_files(self._sha(rev))]

    def _blob(self, oid: pygit2.Oid) -> bytes:
        data = self._blobs.get(oid)
        if data is None:
            blob = self._repo.get(oid)
            if not isinstance(blob, pygit2.Blob):
                raise ScmError(f"git object {oid} is missing from the repository")
            data = self._blobs[oid] = blob.data
        return data

    def blob_at(self, sha: str, path: str) -> str | None:
        """The blob sha of the file at ``path`` (project-relative) in commit ``sha``."""
        root = self._root(sha)
        if root is None:
            return None
        try:
            entry = self._tree(root[0])[path]
        except KeyError:
            return None
        return str(entry.id) if entry.filemode in _FILE_MODES else None

    def read_blob(self, oid: str) -> bytes:
        """A blob's bytes by sha, read from git at most once per reader."""
        return self._blob(pygit2.Oid(hex=oid))

    def iter_dvcfiles(self, rev: str | Revision) -> Iterator[tuple[str, str, bytes]]:
        """(path, blob sha, contents) of every ``.dvc`` file at a revision, sorted by path."""
        for path, oid in self._commit_files(self._sha(rev)):
            yield path, str(oid), self._blob(oid)

    # -- many revisions --------------------------------------------------------------------

    def collect(self, revisions: Iterable[Revision]) -> dict[str, DvcfileBlob]:
        """Every distinct ``.dvc`` blob of the revisions, keyed by blob sha.

        A blob's ``places`` are the distinct paths it sits at, each with the first
        revision (in the given order) where it sits there; blobs come in the order
        they were first met. Listing every (revision, path) pair would cost commits
        x files: instead a folder is compared with the last one seen at the same
        path and only what differs is looked at. Workspace entries are skipped:
        the caller reads those files from disk.
        """
        seen: set[tuple[pygit2.Oid, str]] = set()
        last_at: dict[str, _Node] = {}
        places: dict[pygit2.Oid, dict[str, Revision]] = {}
        first: dict[pygit2.Oid, tuple[int, str]] = {}
        for number, revision in enumerate(revisions):
            if revision.sha is None:
                continue
            root = self._root(revision.sha)
            if root is None or (root[0], "") in seen:
                continue
            seen.add((root[0], ""))
            stack = [("", root[1])]
            while stack:
                prefix, node = stack.pop()
                previous = last_at.get(prefix)
                last_at[prefix] = node
                files: Iterable[tuple[str, pygit2.Oid]] = node.files.items()
                subtrees: Iterable[tuple[str, pygit2.Oid]] = node.subtrees.items()
                if previous is not None:  # what it shares with `previous` is recorded already
                    files = node.files.items() - previous.files.items()
                    subtrees = node.subtrees.items() - previous.subtrees.items()
                for name, blob in files:
                    path = prefix + name
                    spots = places.get(blob)
                    if spots is None:
                        places[blob] = {path: revision}
                        first[blob] = (number, path)
                    elif path not in spots:
                        spots[path] = revision
                for name, sub in subtrees:
                    key = (sub, prefix + name)
                    if key not in seen:
                        seen.add(key)
                        stack.append((prefix + name + "/", self._nodes[sub]))
        result: dict[str, DvcfileBlob] = {}
        for oid in sorted(places, key=first.__getitem__):
            spots = places[oid]
            ordered = sorted(spots.items())
            try:
                data = self._blob(oid)
            except ScmError as exc:
                path, revision = ordered[0]
                raise ScmError(f"cannot read {path!r} at revision {revision.label}: {exc}") from exc
            sha = str(oid)
            result[sha] = DvcfileBlob(sha, data, tuple((rev, path) for path, rev in ordered))
        return result

    def parse(
        self, revisions: Iterable[Revision], parse: Callable[[bytes], T]
    ) -> dict[str, ParsedDvcfile[T]]:
        """:meth:`collect`, then ``parse`` each distinct blob once.

        ``parse`` gets only the bytes, so its result must not depend on where the
        file sits: outputs are relative to the ``.dvc`` file's folder, which the
        caller takes from each place. Any exception from ``parse`` becomes a
        :class:`HistoricDvcfileError` naming a revision and path holding the blob.
        """
        parsed: dict[str, ParsedDvcfile[T]] = {}
        for sha, blob in self.collect(revisions).items():
            try:
                value = parse(blob.data)
            except Exception as exc:
                revision, path = blob.places[0]
                raise HistoricDvcfileError(path, revision.label, len(blob.places) - 1) from exc
            parsed[sha] = ParsedDvcfile(blob, value)
        return parsed
