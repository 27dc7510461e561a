"""The pipeline graph: every ``dvc.yaml`` stage and ``.dvc`` file, joined by deps and outs.

As in dvc (``dvc/repo/graph.py``, ``dvc/repo/trie.py``), a stage depends on every stage
or ``.dvc`` file with an output that is one of its deps, lies inside one, or holds one.
Two owners of the same output, an output inside another one, and a cycle are errors
(with dvc's messages), raised before anything runs. ``repro`` walks the graph in
post-order, so every stage runs after what it depends on.
"""

from __future__ import annotations

import bisect
import posixpath
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from dvcremote import dvcfile as dvcfile_mod
from dvcremote.dvcfile import DvcFile, is_dvcfile_name
from dvcremote.errors import CyclicPipeline, OutputDuplication, OverlappingOutputs
from dvcremote.index import _find
from dvcremote.pipeline import _parse, _read, pipeline_stages, workspace_reader
from dvcremote.stage import PIPELINE, Stage

#: A node: a pipeline stage, or a ``.dvc`` file (a data source).
Node = Stage | DvcFile
#: A node's key: ``(dvc.yaml path, stage name)`` or ``(.dvc path, "")``.
Key = tuple[str, str]


def addressing(node: Node) -> str:
    """``name`` / ``sub/dvc.yaml:name`` for a stage, the path for a ``.dvc`` file."""
    return node.addressing if isinstance(node, Stage) else node.path


def node_key(node: Node) -> tuple[str, str]:
    return (node.pipeline, node.name) if isinstance(node, Stage) else (node.path, "")


def out_paths(node: Node) -> list[str]:
    """The node's outputs, repo-relative."""
    if isinstance(node, Stage):
        return [node.repo_path(o.path) for o in node.outs]
    return [o.repo_path for o in node.outs]


def dep_paths(node: Node) -> list[str]:
    """The node's local deps (params files included), repo-relative."""
    if isinstance(node, Stage):
        return [node.repo_path(p) for p in [*node.deps, *node.params_files()]]
    return []


def load_pipeline(root: str, path: str) -> list[Stage]:
    """The stages of the ``dvc.yaml`` at repo-relative ``path`` as dvc expands them
    (``vars``, ``foreach``, ``matrix``, ``${...}``: :func:`pipeline_stages`), paths
    checked."""
    data = _read(posixpath.join(root, path), path)
    if data is None:
        return []
    bodies = pipeline_stages(_parse(data, path), posixpath.dirname(path), workspace_reader(root))
    stages = [Stage.from_body(str(name), body, path) for name, body in bodies.items()]
    for stage in stages:
        stage.check_paths()
    return stages


def load_nodes(root: str) -> list[Node]:
    """Every ``.dvc`` file and ``dvc.yaml`` stage of the workspace, in path order."""
    nodes: list[Node] = []
    for path in _find(root, "", lambda n: n == PIPELINE or is_dvcfile_name(n)):
        if is_dvcfile_name(path):
            nodes.append(dvcfile_mod.load(root, path))
        else:
            nodes.extend(load_pipeline(root, path))
    return nodes


class _Outs:
    """Output paths by path, kept sorted too: the outputs at, above and below a path
    are found in a few lookups (a templated pipeline may have thousands of stages)."""

    def __init__(self) -> None:
        self.owner: dict[str, Node] = {}
        self.paths: list[str] = []

    def add(self, path: str, node: Node) -> None:
        self.owner[path] = node
        bisect.insort(self.paths, path)

    def above(self, path: str) -> Iterator[str]:
        """Outputs that hold ``path`` (not ``path`` itself)."""
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in self.owner:
                yield prefix

    def below(self, path: str) -> Iterator[str]:
        """Outputs inside ``path``."""
        start = path + "/"
        for i in range(bisect.bisect_left(self.paths, start), len(self.paths)):
            if not self.paths[i].startswith(start):
                break
            yield self.paths[i]

    def overlapping(self, path: str) -> list[str]:
        """Outputs that are ``path``, hold it, or lie inside it."""
        found = [path] if path in self.owner else []
        return [*found, *self.above(path), *self.below(path)]


def _describe(node: Node) -> str:
    return f"stage: '{node.addressing}'" if isinstance(node, Stage) else f"'{node.path}'"


def check_outputs(nodes: Iterable[Node]) -> _Outs:
    """Refuse an output two nodes name, or one inside another's (dvc's messages);
    returns the outputs indexed."""
    outs = _Outs()
    for node in nodes:
        for path in out_paths(node):
            other = outs.owner.get(path)
            if other is not None:
                raise OutputDuplication(
                    f"output '{path}' is already specified in {_describe(other)}.\n"
                    f"Use `dvc remove {addressing(other)}` to stop tracking the"
                    " overlapping output."
                )
            parent = next(outs.above(path), None)
            child = next(outs.below(path), None)
            if parent is not None or child is not None:
                pair = (
                    ((parent, outs.owner[parent]), (path, node))
                    if parent is not None
                    else ((path, node), (child, outs.owner[str(child)]))
                )
                raise OverlappingOutputs(
                    f"The output paths:\n'{pair[0][0]}'('{addressing(pair[0][1])}')\n"
                    f"'{pair[1][0]}'('{addressing(pair[1][1])}')\n"
                    "overlap and are thus in the same tracked directory.\n"
                    "To keep reproducibility, outputs should be in separate tracked"
                    " directories or tracked individually."
                )
            outs.add(path, node)
    return outs


@dataclass
class Graph:
    """Nodes in load order; ``edges[key]`` the keys of what a node depends on."""

    nodes: list[Node]
    edges: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    _by_key: dict[tuple[str, str], Node] = field(default_factory=dict, repr=False)
    _reverse: dict[Key, list[Key]] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, nodes: Sequence[Node]) -> Graph:
        outs = check_outputs(nodes)
        graph = cls(list(nodes))
        for node in nodes:
            found: list[tuple[str, str]] = []
            for dep in dep_paths(node):
                for path in outs.overlapping(dep):
                    owner = outs.owner[path]
                    key = node_key(owner)
                    if owner is not node and key not in found:
                        found.append(key)
            graph.edges[node_key(node)] = found
        graph._by_key = {node_key(n): n for n in nodes}
        graph._check_acyclic()
        return graph

    def node(self, key: tuple[str, str]) -> Node:
        return self._by_key[key]

    def _active(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        """What ``key`` depends on, with a frozen stage cut off from its upstream."""
        node = self.node(key)
        if isinstance(node, Stage) and node.frozen:
            return []
        return self.edges.get(key, [])

    def _check_acyclic(self) -> None:
        state: dict[tuple[str, str], int] = {}
        for start in (node_key(n) for n in self.nodes):
            if start in state:
                continue
            stack: list[tuple[tuple[str, str], int]] = [(start, 0)]
            path: list[tuple[str, str]] = []
            while stack:
                key, i = stack.pop()
                if i == 0:
                    state[key] = 1
                    path.append(key)
                succ = self.edges.get(key, [])
                if i < len(succ):
                    stack.append((key, i + 1))
                    nxt = succ[i]
                    if state.get(nxt) == 1:
                        cycle = path[path.index(nxt) :]
                        names = ", ".join(sorted(addressing(self.node(k)) for k in cycle))
                        part = "stage" if len(cycle) == 1 else "stages"
                        raise CyclicPipeline(
                            "Same item(s) are defined as both a dependency and an output"
                            f" in {part}: {names}."
                        )
                    if nxt not in state:
                        stack.append((nxt, 0))
                else:
                    state[key] = 2
                    path.pop()

    def dependents(self, key: Key) -> list[Key]:
        """What depends on ``key`` (a frozen stage does not: it is cut off), in node order."""
        if self._reverse is None:
            self._reverse = {node_key(n): [] for n in self.nodes}
            for node in self.nodes:
                for up in self._active(node_key(node)):
                    self._reverse[up].append(node_key(node))
        return self._reverse[key]

    def reachable(self, keys: Iterable[Key], step: Callable[[Key], list[Key]]) -> set[Key]:
        """``keys`` and every key ``step`` leads to from them (``_active``: upstream,
        :meth:`dependents`: downstream)."""
        reach: set[Key] = set()
        todo = list(keys)
        while todo:
            key = todo.pop()
            if key not in reach:
                reach.add(key)
                todo.extend(step(key))
        return reach

    def plan(
        self,
        targets: Sequence[Node] | None,
        *,
        single_item: bool = False,
        downstream: bool = False,
        pipeline: bool = False,
    ) -> list[Node]:
        """The nodes to reproduce, each after everything it depends on (post-order), as
        dvc's ``plan_repro``: ``targets`` None or empty: all; else the targets and their
        upstream, or with ``downstream`` the targets and what depends on them, or with
        ``pipeline`` every node connected to a target; ``single_item``: the targets alone."""
        if single_item and targets:
            return list(targets)
        if not targets:
            return self.order({node_key(n) for n in self.nodes})
        wanted = [node_key(n) for n in targets]
        if pipeline:
            chosen = self.reachable(wanted, lambda k: [*self._active(k), *self.dependents(k)])
        elif downstream:
            chosen = self.reachable(wanted, self.dependents)
        else:
            chosen = self.reachable(wanted, self._active)
        return self.order(chosen)

    def order(self, chosen: set[Key], *, active: bool = True) -> list[Node]:
        """The ``chosen`` nodes in post-order of the graph they induce, roots taken in
        node order (``networkx.dfs_postorder_nodes`` on dvc's graph); ``active=False``
        keeps a frozen stage's edges to its upstream."""

        def succ(key: Key) -> Iterator[Key]:
            edges = self._active(key) if active else self.edges.get(key, [])
            return (k for k in edges if k in chosen)

        order: list[Key] = []
        done: set[Key] = set()
        for start in (node_key(n) for n in self.nodes if node_key(n) in chosen):
            if start in done:
                continue
            done.add(start)
            stack = [(start, succ(start))]
            while stack:
                key, it = stack[-1]
                nxt = next((k for k in it if k not in done), None)
                if nxt is None:
                    stack.pop()
                    order.append(key)
                else:
                    done.add(nxt)
                    stack.append((nxt, succ(nxt)))
        return [self.node(k) for k in order]


__all__ = ["Graph", "Key", "Node", "addressing", "check_outputs", "load_nodes", "load_pipeline"]
