"""A directory on an SSH server as a dvcremote Backend: the core's fsspec adapter over sshfs.

SFTP writes land in place byte by byte, so the adapter writes a hidden temp sibling
and renames it (``posix-rename``, atomic on the server) to get ATOMIC_WRITE. Every
operation stays on the SFTP subsystem, so accounts restricted to ``internal-sftp``
(no shell) work too: copies stream through the client instead of running ``cp``.
"""

from __future__ import annotations

import errno
from typing import Any, ClassVar

from asyncssh.sftp import SFTPFailure
from fsspec.asyn import sync, sync_wrapper
from sshfs import SSHFileSystem

from dvcremote.backend.capabilities import Capability
from dvcremote.backend.fsspec import FsspecBackend
from dvcremote.backend.types import WriteResult
from dvcremote.errors import AlreadyExists, BackendError
from dvcremote_ssh.config import SSH_KEYS, SSHConfig, parse_config
from dvcremote_ssh.errors import map_ssh_error

_C = Capability


class _SFTPFileSystem(SSHFileSystem):
    """sshfs with a working synchronous ``rmdir`` (it only defines the async one, so the
    inherited ``rmdir`` silently did nothing) that reports a non-empty folder as such."""

    async def _rmdir(self, path: str, recursive: bool = False, **kwargs: Any) -> None:
        try:
            await super()._rmdir(path, recursive=recursive, **kwargs)
        except SFTPFailure as exc:
            # SFTP v3 has no "not empty" status: OpenSSH answers a bare FAILURE.
            if not recursive and await self._ls(path, detail=False):
                raise OSError(errno.ENOTEMPTY, "Directory not empty", path) from exc
            raise

    rmdir = sync_wrapper(_rmdir)


class SSHBackend(FsspecBackend):
    """A folder on an SSH/SFTP server (``ssh://[user@]host[:port]/absolute/path``)."""

    name: ClassVar[str] = "ssh"
    CONFIG_KEYS: ClassVar[frozenset[str]] = SSH_KEYS
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset(
        {
            _C.READ,
            _C.WRITE,
            _C.DELETE,
            _C.LIST,
            _C.MOVE,  # posix-rename on the server
            _C.COPY,  # streamed through the client (SFTP has no portable server-side copy)
            _C.METADATA,
            _C.ATOMIC_WRITE,  # temp sibling + rename
            _C.SEEKABLE_READ,
            _C.LAZY_READ,  # SFTP reads are ranged requests
            _C.EXCLUSIVE_CREATE,  # SFTP's plain rename never replaces
        }
    )
    CAPABILITY_NOTES: ClassVar[dict[str, str]] = {
        "VERSIONING": "SSH servers keep no file versions",
        "USER_METADATA": "SFTP has no user metadata",
    }
    WRITES_ARE_ATOMIC: ClassVar[bool] = False
    CREATE_PARENTS: ClassVar[bool] = True
    PRUNE_EMPTY_FOLDERS: ClassVar[bool] = True

    def __init__(self, config: SSHConfig, **options: Any) -> None:
        self.config = config
        self._closed = False
        self._remember_secrets({**options, **config.fs_kwargs})
        kwargs = dict(config.fs_kwargs)
        host = kwargs.pop("host")
        # Connecting happens here; its failures come out as dvcremote errors.
        with self._guard(None):
            fs = _SFTPFileSystem(host, **kwargs)
        super().__init__(fs, config.root, **options)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> SSHBackend:
        """``ssh://[user@]host[:port]/absolute/path`` plus DVC's SSH remote keys."""
        return cls(parse_config(url, options), **options)

    # ------------------------------------------------------------- identity
    @property
    def location(self) -> str:
        return self.config.url

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, location={self.location!r}, "
            f"known_hosts={self.config.known_hosts!r})"
        )

    def close(self) -> None:
        """Close the SSH connection now rather than when the filesystem is collected."""
        if self._closed:
            return
        self._closed = True
        client = getattr(self.fs, "_client", None)
        if client is None:
            return

        async def shut() -> None:
            client.close()
            await client.wait_closed()

        try:
            sync(self.fs.loop, shut, timeout=10)
        except Exception:  # noqa: BLE001 - closing must not fail the caller
            pass

    # --------------------------------------------------------------- errors
    def map_error(self, exc: BaseException, path: str | None) -> BackendError | None:
        mapped = map_ssh_error(exc, path=path, backend=self.name, redact=self.redact)
        return mapped if mapped is not None else super().map_error(exc, path)

    # ---------------------------------------------------------------- writes
    async def _apublish(self, staged: str, full: str) -> None:
        """Rename a staged upload into place with SFTP's posix-rename (replaces atomically)."""
        await self.fs._mv(staged, full)

    def _publish_new(self, staged: str, full: str, path: str) -> None:
        """SFTP's own rename, which refuses an existing target (OpenSSH links, then
        unlinks): of writers racing to create ``path`` exactly one wins."""
        try:
            sync(self.fs.loop, self._arename_new, staged, full)
        except Exception as exc:
            if self._info_or_none(full) is not None:
                raise AlreadyExists(path=path, backend=self.name) from exc
            raise

    async def _arename_new(self, staged: str, full: str) -> None:
        async with self.fs._pool.get() as channel:
            await channel.rename(staged, full)

    # ----------------------------------------------------------------- copy
    def _copy(self, src: str, dst: str, *, overwrite: bool) -> WriteResult:
        """Stream through the client: ``cp`` over exec would need a shell account."""
        self._check_source(src)
        with self.fs.open(self._full(src), "rb") as stream:
            return self._write(dst, stream, overwrite=overwrite, metadata=None)

