"""TmpDir: the temporary workspace the remote suites (and plugin tests) stand in.

It is a ``pathlib.Path`` so tests read naturally (``(tmp_dir / "foo").read_text()``)
and carries the repository (``dvc``) and git (``scm``) it was initialised with, so a
single call sets up what a test needs: ``tmp_dir.dvc_gen({"data": {"a": "1"}})``.
"""

from __future__ import annotations

import os
import pathlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from dvcremote.repo import Repo
    from dvcremote.scm import Git

#: What ``gen`` accepts: nested dicts become folders; bytes or text become files.
Struct: TypeAlias = Mapping[str, "bytes | str | Struct"]
PathLike: TypeAlias = "str | os.PathLike[str]"

if sys.platform == "win32":
    _ConcretePath = pathlib.WindowsPath
else:
    _ConcretePath = pathlib.PosixPath


class TmpDir(_ConcretePath):
    """A workspace folder; ``dvc`` and ``scm`` are set when the test asked for them."""

    dvc: Repo
    scm: Git

    # ----------------------------------------------------------------- set-up
    def init(self, *, scm: bool = False, dvc: bool = False) -> None:
        """Make this folder a git repo and/or a dvcremote repo (git first, as a user would).

        With both, ``scm`` is the repo's own git handle, so the two never hold
        different views of git's index.
        """
        from dvcremote.scm import Git

        if scm:
            Git.init(os.fspath(self)).close()
        if dvc:
            from dvcremote.repo import Repo

            self.dvc = Repo.init(os.fspath(self), no_scm=not scm)
        if scm:
            git = self.dvc.git if dvc else Git.open(os.fspath(self))
            assert git is not None
            self.scm = git
        if scm and dvc:
            self.scm.commit("init dvcremote")

    def close(self) -> None:
        for name in ("dvc", "scm"):
            closer = getattr(self.__dict__.get(name), "close", None)
            if callable(closer):
                closer()

    def _require(self, name: str) -> None:
        if name not in self.__dict__:
            raise TypeError(
                f"this temporary dir has no {name!r}: did the test forget the {name!r} fixture?"
            )

    def _existing(self, names: Sequence[str]) -> list[str]:
        return [n for n in names if (self / n).exists()]

    # ------------------------------------------------------------- generators
    def gen(self, struct: Struct | PathLike, text: bytes | str = "") -> list[TmpDir]:
        """Write files and folders; returns the top-level paths made."""
        if isinstance(struct, (str, os.PathLike)):
            struct = {os.fspath(struct): text}
        return self._gen(struct, self)

    def _gen(self, struct: Struct, prefix: pathlib.Path) -> list[TmpDir]:
        made: list[TmpDir] = []
        for name, contents in struct.items():
            path = type(self)(prefix / name)
            if isinstance(contents, Mapping):
                path.mkdir(parents=True, exist_ok=True)
                self._gen(contents, path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(contents, bytes):
                    path.write_bytes(contents)
                else:
                    path.write_text(contents, encoding="utf-8")
            made.append(path)
        return made

    def dvc_gen(
        self, struct: Struct | PathLike, text: bytes | str = "", commit: str | None = None
    ) -> Any:
        """``gen`` then track the new paths; returns what ``Repo.add`` returns."""
        return self.dvc_add(self.gen(struct, text), commit=commit)

    #: The dvcremote spelling of ``dvc_gen``.
    track = dvc_gen

    def dvc_add(self, filenames: PathLike | Sequence[PathLike], commit: str | None = None) -> Any:
        self._require("dvc")
        names = _as_names(filenames)
        added = self.dvc.add(names)
        if commit:
            self.commit([f"{name}.dvc" for name in names], msg=commit)
        return added

    def scm_gen(
        self,
        struct: Struct | PathLike,
        text: bytes | str = "",
        commit: str | None = None,
        force: bool = False,
    ) -> list[TmpDir]:
        paths = self.gen(struct, text)
        self.scm_add(paths, commit=commit, force=force)
        return paths

    def scm_add(
        self,
        filenames: PathLike | Sequence[PathLike],
        commit: str | None = None,
        force: bool = False,
    ) -> None:
        self._require("scm")
        self.scm.add(_as_names(filenames), force=force)
        if commit:
            self.scm.commit(commit)

    def commit(self, output_paths: Sequence[PathLike], msg: str, force: bool = False) -> None:
        """Commit ``.dvc`` files together with the ``.gitignore`` beside each of them."""
        names = _as_names(output_paths)
        ignores = {os.path.join(os.path.dirname(n), ".gitignore") for n in names}
        names += sorted(i for i in ignores if os.path.exists(i))
        self.scm_add(names, commit=msg, force=force)

    # ----------------------------------------------------------------- config
    def add_remote(
        self,
        *,
        url: str | None = None,
        config: Mapping[str, Any] | None = None,
        name: str = "upstream",
        default: bool = True,
    ) -> str:
        """Configure a remote from a URL or a whole config mapping (exactly one of them)."""
        self._require("dvc")
        if (url is None) == (config is None):
            raise TypeError("give exactly one of url= or config=")
        conf: dict[str, Any] = {"url": url} if url is not None else dict(config or {})
        remote_url = str(conf.pop("url"))
        config_files = self.dvc.config
        config_files.add_remote(name, remote_url, default=default, force=True)
        for key, value in conf.items():
            config_files.modify_remote(name, key, _config_value(value))
        if "scm" in self.__dict__:
            self.scm.add([".dvc/config"])
            self.scm.commit(f"add remote {name!r}")
        return remote_url

    # --------------------------------------------------------------- contexts
    @contextmanager
    def chdir(self) -> Iterator[None]:
        old = os.getcwd()
        os.chdir(self)
        try:
            yield
        finally:
            os.chdir(old)

    @contextmanager
    def branch(self, name: str, new: bool = False) -> Iterator[None]:
        """Work on branch ``name`` (created when ``new``), then go back."""
        self._require("scm")
        old = self.scm.current_branch or self.scm.head
        assert old is not None, "a branch needs a first commit"
        if new:
            self.scm.branch(name)
        self.scm.checkout(name)
        try:
            yield
        finally:
            self.scm.checkout(old)

    # ------------------------------------------------------------------ reads
    def read_text(  # type: ignore[override]
        self, encoding: str | None = "utf-8", errors: str | None = None
    ) -> str | dict[str, Any]:
        """A file's text, or for a folder a dict of its entries' texts (recursively)."""
        if self.is_dir():
            return {
                child.name: type(self)(child).read_text(encoding, errors)
                for child in sorted(self.iterdir())
            }
        return super().read_text(encoding=encoding, errors=errors)

    def oid_to_path(self, oid: str) -> str:
        """Where a content-addressed object lives below this folder (DVC 3.x layout)."""
        return os.fspath(self / "files" / "md5" / oid[:2] / oid[2:])


def _config_value(value: Any) -> str:
    """Config files hold text; booleans as DVC writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_names(filenames: PathLike | Sequence[PathLike]) -> list[str]:
    if isinstance(filenames, (str, os.PathLike)):
        filenames = [filenames]
    return [os.fspath(f) for f in filenames]
