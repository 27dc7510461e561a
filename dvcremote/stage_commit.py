"""``commit``: record what stages' deps and outputs are now, as ``dvc commit`` does.

dvc's rules (``dvc/repo/commit.py``, ``dvc/stage/__init__.py``): each chosen stage's
outputs go into the cache (and are linked back); a stage whose deps, outputs or
command differ from its ``dvc.lock`` entry (or that has none) is recorded anew only
when the user agrees or with ``force`` (and then its result is saved in the run
cache too); otherwise dvc refuses with "unable to commit changed stage". A ``.dvc``
file whose data changed is added again under the same rule.

Safety: every stage is judged before anything is written, so a refusal leaves every
lock, ``.dvc`` file and the cache as they were (dvc writes the files before the one
it refuses); outputs must exist; the lock is written through a temp file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from dvcremote.dag import Graph, Node, load_nodes, node_key, out_paths
from dvcremote.dvcfile import DvcFile
from dvcremote.errors import PipelineError, StageCommitRefused
from dvcremote.repro import Reproducer, _items
from dvcremote.results import CommitResult
from dvcremote.stage import Stage


class Committer(Reproducer):
    """One ``commit`` run; it judges and hashes stages as ``repro`` does."""

    def record(
        self,
        targets: Sequence[str] | None,
        *,
        with_deps: bool = False,
        recursive: bool = False,
        confirm: Callable[[str], bool] | None = None,
    ) -> CommitResult:
        """Commit the targets (stages, ``dvc.yaml``/``.dvc`` files, folders with
        ``recursive``, outputs; None: every stage and ``.dvc`` file), with
        ``with_deps`` what they depend on too. ``confirm(question)`` may agree to
        record a changed stage; without it (or on no) StageCommitRefused is raised
        before anything is written."""
        graph = Graph.build(load_nodes(self.repo.root))
        chosen = graph.nodes if not targets else self._targets(graph, targets, recursive)
        if with_deps:
            chosen = graph.plan(chosen)
        changes = {node_key(n): self._changes(n) for n in chosen}
        changed = [n for n in chosen if any(changes[node_key(n)])]
        if not self.force:
            for node in changed:
                question = self._question(node, *changes[node_key(node)])
                if confirm is None or not confirm(question):
                    raise StageCommitRefused(
                        f"unable to commit changed {_describe(self._shown(node))}."
                        " Use `-f|--force` to force."
                    )
        for node in chosen:
            self._check_outs(node)
        saved = {node_key(n) for n in changed} if not self.force else set(map(node_key, chosen))
        committed: list[str] = []
        try:
            for node in chosen:
                if isinstance(node, Stage):
                    self._commit_stage(node, save_run=node_key(node) in saved)
                else:
                    self.repo.add([self.repo.full_path(o.repo_path) for o in node.outs])
                committed.append(self._shown(node))
        finally:
            self.repo.state.commit()
        return CommitResult(tuple(committed), tuple(dict.fromkeys(self.locks)))

    def _targets(self, graph: Graph, targets: Sequence[str], recursive: bool) -> list[Node]:
        """Targets as ``repro`` reads them; a path one node outputs names that node."""
        owners = {path: node for node in graph.nodes for path in out_paths(node)}
        found: list[Node] = []
        for target in targets:
            rel = None if ":" in os.path.basename(target) else self.repo.repo_path(target)
            owner = owners.get(rel) if rel is not None else None
            nodes = (
                [owner] if owner is not None else self.resolve(graph, [target], recursive=recursive)
            )
            found.extend(n for n in nodes if node_key(n) not in {node_key(f) for f in found})
        return found

    def _changes(self, node: Node) -> tuple[list[str], list[str], str | None]:
        """dvc's ``changed_entries``: changed deps, changed outputs (an output missing
        from the cache is not a change: commit is how it gets there), a changed command."""
        if isinstance(node, DvcFile):
            changes = self.repo.workspace_status([self.repo.full_path(node.path)]).changes
            paths = [o.repo_path for o in node.outs]
            return [], [p for p in paths if changes.get(p, "not in cache") != "not in cache"], None
        locked = self._locked(node)
        if locked is None:  # no lock entry: every dep counts as modified, as in dvc
            return [*node.deps, *node.params_files()], [], None
        deps = _items(locked.get("deps"))
        outs = _items(locked.get("outs"))
        return (
            [
                *(d for d in node.deps if self.dep_changed(node, d, deps)),
                *self.params_changed(node, locked),
            ],
            [o.path for o in node.outs if self.out_changed(node, o, outs, in_cache=False)],
            None
            if locked.get("cmd") == node.cmd
            else f"'cmd' of {_describe(node.name)} has changed.",
        )

    def _question(self, node: Node, deps: list[str], outs: list[str], cmd: str | None) -> str:
        """dvc's question (``_prepare_message``)."""
        shown = _describe(self._shown(node))
        if deps and outs:
            text = f"dependencies {deps} and outputs {outs} of {shown} changed."
        elif deps:
            text = f"dependencies {deps} of {shown} changed."
        elif outs:
            text = f"outputs {outs} of {shown} changed."
        else:
            text = cmd or ""
        return f"{text} Are you sure you want to commit it?"

    def _locked(self, stage: Stage) -> dict[str, Any] | None:
        locked = self._entries(stage.lock_path).get(stage.name)
        return locked if isinstance(locked, dict) else None

    def _check_outs(self, node: Node) -> None:
        """dvc's "output 'x' does not exist", before anything is written."""
        for rel in out_paths(node):
            if not os.path.lexists(self.repo.full_path(rel)):
                raise PipelineError(f"output '{self._rel(rel)}' does not exist")

    def _commit_stage(self, stage: Stage, *, save_run: bool) -> None:
        deps, params = self._hash_deps(stage)
        self._record(stage, self._locked(stage), deps, params, save_run=save_run)


def _describe(shown: str) -> str:
    return f"stage: '{shown}'"


__all__ = ["Committer"]
