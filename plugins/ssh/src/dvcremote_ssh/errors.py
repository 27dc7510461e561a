"""Translating SSH/SFTP failures (asyncssh, and sshfs's re-raised OSErrors) into dvcremote errors.

sshfs turns some asyncssh errors into ``OSError`` subclasses and chains the original;
we look at the whole chain so that, for example, a refused login is reported as an
authentication failure rather than as a bare "permission denied" on some path.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator

import asyncssh
from asyncssh import sftp

from dvcremote.errors import (
    AlreadyExists,
    BackendError,
    BackendUnavailable,
    DirectoryNotEmpty,
    InvalidPath,
    NotAFile,
    NotAFolder,
    NotFound,
    PermissionDenied,
    StorageFull,
)

Redact = Callable[[str], str]

# SFTP status codes (v3 has only a handful; OpenSSH reports most failures as FAILURE).
_SFTP_ERRORS: tuple[tuple[type[sftp.SFTPError], type[BackendError]], ...] = (
    (sftp.SFTPNoSuchFile, NotFound),
    (sftp.SFTPNoSuchPath, NotFound),
    (sftp.SFTPPermissionDenied, PermissionDenied),
    (sftp.SFTPWriteProtect, PermissionDenied),
    (sftp.SFTPFileAlreadyExists, AlreadyExists),
    (sftp.SFTPDirNotEmpty, DirectoryNotEmpty),
    (sftp.SFTPNotADirectory, NotAFolder),
    (sftp.SFTPFileIsADirectory, NotAFile),
    (sftp.SFTPInvalidFilename, InvalidPath),
    (sftp.SFTPNoSpaceOnFilesystem, StorageFull),
    (sftp.SFTPQuotaExceeded, StorageFull),
    (sftp.SFTPConnectionLost, BackendUnavailable),
    (sftp.SFTPNoConnection, BackendUnavailable),
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__  # explicit chaining only: a context may be unrelated


def map_ssh_error(
    exc: BaseException,
    *,
    path: str | None,
    backend: str,
    redact: Redact = str,
) -> BackendError | None:
    """The dvcremote error for an SSH failure, or None to let the generic mapping decide."""
    for err in _chain(exc):
        mapped = _map_one(err, path=path, backend=backend, redact=redact)
        if mapped is not None:
            return mapped
    return None


def _map_one(
    exc: BaseException, *, path: str | None, backend: str, redact: Redact
) -> BackendError | None:
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return PermissionDenied(
            "the server's host key is not trusted (check the known_hosts option): "
            + redact(exc.reason),
            path=path,
            backend=backend,
        )
    if isinstance(exc, asyncssh.PermissionDenied):
        return PermissionDenied(
            "SSH authentication failed (check user, keyfile or password): " + redact(exc.reason),
            path=path,
            backend=backend,
        )
    if isinstance(exc, asyncssh.KeyImportError):
        return PermissionDenied(
            "cannot load the SSH keyfile (wrong passphrase or not a private key): "
            + redact(str(exc)),
            path=path,
            backend=backend,
        )
    if isinstance(exc, (asyncssh.ConnectionLost, asyncssh.DisconnectError)):
        return BackendUnavailable(
            "SSH connection failed: " + redact(exc.reason), path=path, backend=backend
        )
    if isinstance(exc, sftp.SFTPError):
        for kind, error in _SFTP_ERRORS:
            if isinstance(exc, kind):
                return error(redact(exc.reason) or None, path=path, backend=backend)
        return None
    if isinstance(exc, socket.gaierror):
        return BackendUnavailable(
            "cannot resolve the SSH host: " + redact(str(exc)), path=path, backend=backend
        )
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) or type(exc).__name__ == (
        "FSTimeoutError"
    ):
        return BackendUnavailable("SSH operation timed out", path=path, backend=backend)
    if isinstance(exc, ConnectionError):
        return BackendUnavailable(
            "cannot connect to the SSH server: " + redact(str(exc)), path=path, backend=backend
        )
    return None
