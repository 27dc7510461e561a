"""Cloud: the suites' out-of-band view of a remote location.

Tests look at and change a remote through a Cloud, never through the repo, so a
backend is not only checked by itself: a plugin can give a Cloud built on a
different client (for S3, plain boto3) than its Backend.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Union

from dvcremote.backend import Backend, Capability, open_backend
from dvcremote.errors import CapabilityNotSupported
from dvcremote_testing.markers import capability_notes

#: Nested dicts become folders, bytes/str become files (as ``tmp_dir.gen``).
Tree = Mapping[str, Union[bytes, str, "Tree"]]


class Cloud(ABC):
    """A path on a remote. ``cloud / "a" / "b"`` is a child path."""

    def __init__(self, path: str = "") -> None:
        self.path = path.strip("/")

    # -- what a repo needs to use this location as a remote
    @property
    @abstractmethod
    def url(self) -> str:
        """The remote URL of this path, for ``remote add``."""

    @property
    def config(self) -> dict[str, Any]:
        """Remote config keys (``url`` and whatever credentials/endpoints it needs)."""
        return {"url": self.url}

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the backend the repo will open for this location can do (decides skips)."""
        return self._probe()[1]

    @property
    def backend_name(self) -> str:
        """The ``name`` of that backend (what ``skip_backend``/``only_backends`` match)."""
        return self._probe()[0]

    @property
    def capability_notes(self) -> dict[str, str]:
        """Why that backend lacks what it lacks (its ``CAPABILITY_NOTES``), told in skips."""
        return self._probe()[2]

    def _probe(self) -> tuple[str, frozenset[Capability], dict[str, str]]:
        options = dict(self.config)
        with open_backend(str(options.pop("url")), **options) as backend:
            return backend.name, backend.capabilities, capability_notes(backend)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release clients; the fixtures call it at teardown."""

    @abstractmethod
    def _child(self, path: str) -> Cloud: ...

    def __truediv__(self, key: str) -> Cloud:
        return self._child(posixpath.join(self.path, key) if self.path else key)

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def parent(self) -> Cloud:
        return self._child(posixpath.dirname(self.path))

    # -- out-of-band operations
    @abstractmethod
    def exists(self) -> bool: ...

    @abstractmethod
    def is_file(self) -> bool: ...

    @abstractmethod
    def is_dir(self) -> bool: ...

    @abstractmethod
    def read_bytes(self) -> bytes: ...

    @abstractmethod
    def write_bytes(self, data: bytes) -> None: ...

    @abstractmethod
    def unlink(self, missing_ok: bool = False) -> None: ...

    @abstractmethod
    def rmdir(self, recursive: bool = True) -> None: ...

    @abstractmethod
    def iterdir(self) -> Iterator[Cloud]: ...

    def mkdir(self, parents: bool = True, exist_ok: bool = True) -> None:  # noqa: B027
        """Object stores have no folders; a Cloud that has them overrides this."""

    def version_ids(self) -> list[str]:
        """Ids of every kept version of this file, newest first (versioned storage only).

        A plugin giving its own Cloud for a versioned location implements this with its
        own client; the version-aware suites use it to check the ids the repo records.
        """
        raise CapabilityNotSupported(Capability.VERSIONING.value, path=self.path)

    def read_version(self, version_id: str) -> bytes:
        """The bytes of one kept version of this file (versioned storage only)."""
        raise CapabilityNotSupported(Capability.VERSIONING.value, path=self.path)

    def object(self, oid: str, prefix: str = "files/md5") -> Cloud:
        """Where a content-addressed object lives below this path (DVC 3.x layout)."""
        return self / f"{prefix}/{oid[:2]}/{oid[2:]}"

    def walk_files(self) -> Iterator[str]:
        """Paths of every file below this one, relative to it."""
        for child in self.iterdir():
            if child.is_dir():
                for sub in child.walk_files():
                    yield f"{child.name}/{sub}"
            else:
                yield child.name

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def write_text(self, text: str, encoding: str = "utf-8") -> None:
        self.write_bytes(text.encode(encoding))

    def gen(self, struct: Tree | str, text: bytes | str = "") -> list[str]:
        """Create files from nested dicts (or one file from a name and contents)."""
        if isinstance(struct, str):
            struct = {struct: text}
        made: list[str] = []
        for name, value in struct.items():
            target = self / name
            if isinstance(value, Mapping):
                target.mkdir()
                made.extend(f"{name}/{p}" for p in target.gen(value))
            else:
                target.write_bytes(value.encode() if isinstance(value, str) else value)
                made.append(name)
        return made


class BackendCloud(Cloud):
    """A Cloud over any Backend: the default when a plugin gives no independent one."""

    def __init__(
        self, backend: Backend, url: str, path: str = "", options: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(path)
        self.backend = backend
        self._root_url = url.rstrip("/")
        self._options = dict(options or {})

    @property
    def url(self) -> str:
        return f"{self._root_url}/{self.path}" if self.path else self._root_url

    @property
    def config(self) -> dict[str, Any]:
        return {"url": self.url, **self._options}

    def _probe(self) -> tuple[str, frozenset[Capability], dict[str, str]]:
        return self.backend.name, self.backend.capabilities, capability_notes(self.backend)

    def close(self) -> None:
        self.backend.close()

    def version_ids(self) -> list[str]:
        return [v.version_id for v in self.backend.list_versions(self.path) if v.version_id]

    def read_version(self, version_id: str) -> bytes:
        return self.backend.read_bytes(self.path, version_id=version_id)

    def _child(self, path: str) -> BackendCloud:
        return BackendCloud(self.backend, self._root_url, path, self._options)

    def exists(self) -> bool:
        return self.backend.exists(self.path)

    def is_file(self) -> bool:
        return self.backend.is_file(self.path)

    def is_dir(self) -> bool:
        return self.backend.is_folder(self.path) and (
            not self.path or self.backend.exists(self.path)
        )

    def read_bytes(self) -> bytes:
        return self.backend.read_bytes(self.path)

    def write_bytes(self, data: bytes) -> None:
        self.backend.write(self.path, data, overwrite=True)

    def unlink(self, missing_ok: bool = False) -> None:
        self.backend.delete(self.path, missing_ok=missing_ok)

    def rmdir(self, recursive: bool = True) -> None:
        self.backend.delete_folder(self.path, recursive=recursive, missing_ok=True)

    def iterdir(self) -> Iterator[Cloud]:
        for folder in self.backend.list_folders(self.path):
            yield self._child(folder.path)
        for info in self.backend.list_files(self.path):
            yield self._child(info.path)


class LocalCloud(Cloud):
    """A plain directory, read and written with the standard library.

    It never goes through the local Backend, so the repo's use of that backend
    is checked against the real files.
    """

    def __init__(self, root: str | os.PathLike[str], path: str = "") -> None:
        super().__init__(path)
        self.root = os.path.abspath(os.fspath(root))

    @property
    def local_path(self) -> Path:
        return Path(self.root, *self.path.split("/")) if self.path else Path(self.root)

    @property
    def url(self) -> str:
        return os.fspath(self.local_path)

    def _child(self, path: str) -> LocalCloud:
        return LocalCloud(self.root, path)

    def exists(self) -> bool:
        return self.local_path.exists()

    def is_file(self) -> bool:
        return self.local_path.is_file()

    def is_dir(self) -> bool:
        return self.local_path.is_dir()

    def mkdir(self, parents: bool = True, exist_ok: bool = True) -> None:
        self.local_path.mkdir(parents=parents, exist_ok=exist_ok)

    def read_bytes(self) -> bytes:
        return self.local_path.read_bytes()

    def write_bytes(self, data: bytes) -> None:
        target = self.local_path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            # Cache-like layouts make files read-only; an out-of-band writer still wins.
            target.chmod(0o644)
        target.write_bytes(data)

    def unlink(self, missing_ok: bool = False) -> None:
        self.local_path.unlink(missing_ok=missing_ok)

    def rmdir(self, recursive: bool = True) -> None:
        if recursive:
            shutil.rmtree(self.local_path, ignore_errors=True)
        else:
            self.local_path.rmdir()

    def iterdir(self) -> Iterator[Cloud]:
        for child in sorted(self.local_path.iterdir()):
            yield self / child.name
