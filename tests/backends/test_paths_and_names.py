"""Path rules and temp names: the hot-path shortcuts must agree with the plain rules."""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

import pytest

from dvcremote.backend import naming, paths
from dvcremote.errors import InvalidPath

TOKENS = ["a", "b.c", ".", "..", "/", "\\", ":", "\x00", "C:", ".dvcremote-tmp-x"]


def _spec(path: str) -> str | None:
    """The documented rules, written out plainly: the canonical path, or None if refused."""
    if path in ("", "."):
        return paths.ROOT
    if "\x00" in path or "\\" in path or path.startswith("/"):
        return None
    if len(path) > 1 and path[1] == ":":
        return None
    if any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return path


def _all_paths() -> list[str]:
    out = set()
    for n in range(1, 5):
        for combo in itertools.product(TOKENS, repeat=n):
            out.add("".join(combo))
    return sorted(out)


def test_normalize_agrees_with_the_plain_rules_on_every_small_combination() -> None:
    disagreements = []
    for path in _all_paths():
        expected = _spec(path)
        try:
            got: str | None = paths.normalize(path)
        except InvalidPath:
            got = None
        if got != expected:
            disagreements.append((path, expected, got))
    assert disagreements == []


@pytest.mark.parametrize("bad", [b"a/b", None, 3])
def test_normalize_refuses_non_strings(bad: object) -> None:
    with pytest.raises(InvalidPath):
        paths.normalize(bad)  # type: ignore[arg-type]


def test_temp_names_are_unique_across_threads() -> None:
    names: list[str] = []
    lock = threading.Lock()

    def make() -> None:
        mine = [naming.temp_name() for _ in range(2000)]
        with lock:
            names.extend(mine)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(names) == len(set(names)) == 16000
    assert all(naming.is_temp_name(n) for n in names)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_repeat_its_parents_temp_names() -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the next names it would use
        os.close(read_end)
        os.write(write_end, "\n".join(naming.temp_name() for _ in range(3)).encode())
        os._exit(0)
    os.close(write_end)
    parent = {naming.temp_name() for _ in range(3)}
    with os.fdopen(read_end, "rb") as f:
        child = set(f.read().decode().split("\n"))
    os.waitpid(pid, 0)
    assert len(child) == 3
    assert parent.isdisjoint(child)


def test_guard_converts_errors_and_lets_interrupts_through() -> None:
    from dvcremote.backends.memory import MemoryBackend
    from dvcremote.errors import BackendError

    backend = MemoryBackend()
    with pytest.raises(BackendError) as info, backend._guard("some/path"):
        raise ValueError("native")
    assert isinstance(info.value.__cause__, ValueError)
    assert info.value.path == "some/path"
    assert info.value.backend == backend.name
    with pytest.raises(KeyboardInterrupt), backend._guard("some/path"):
        raise KeyboardInterrupt


def test_copy_fd_skips_reflinks_once_they_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dvcremote.backends import fastcopy

    calls: list[int] = []

    def refuse(src_fd: int, dst_fd: int) -> bool:
        calls.append(src_fd)
        return False

    monkeypatch.setattr(fastcopy, "_reflink", refuse)
    src = tmp_path / "src.bin"
    src.write_bytes(b"payload" * 1000)
    outcomes = []
    for i, memo in enumerate([None, False]):
        dst = tmp_path / f"dst{i}.bin"
        with open(dst, "wb") as out:
            outcomes.append(fastcopy.copy_into(str(src), out.fileno(), reflink=memo))
        assert dst.read_bytes() == src.read_bytes()
    assert outcomes == [False, False]
    assert len(calls) == 1  # tried once (memo None), never with memo False
