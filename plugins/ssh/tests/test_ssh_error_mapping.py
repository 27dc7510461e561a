"""Unit tests of the SSH error table: the only place native exceptions are constructed by hand."""

from __future__ import annotations

import errno
import socket

import asyncssh
import pytest
from asyncssh import sftp

from dvcremote.errors import (
    AlreadyExists,
    BackendError,
    BackendUnavailable,
    DirectoryNotEmpty,
    NotAFile,
    NotAFolder,
    NotFound,
    PermissionDenied,
    StorageFull,
)
from dvcremote_ssh.errors import map_ssh_error

SECRET = "ssh-secret-Qz81-do-not-show"


def _chained(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


CASES = [
    ("auth", asyncssh.PermissionDenied("Permission denied"), PermissionDenied),
    ("auth via sshfs", _chained(PermissionError("denied"), asyncssh.PermissionDenied("x")),
     PermissionDenied),
    ("host key", asyncssh.HostKeyNotVerifiable("Host key is not trusted"), PermissionDenied),
    ("disconnect", asyncssh.ConnectionLost("Connection lost"), BackendUnavailable),
    ("refused", ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
     BackendUnavailable),
    ("dns", socket.gaierror(-2, "Name or service not known"), BackendUnavailable),
    ("timeout", TimeoutError(), BackendUnavailable),
    ("no such file", sftp.SFTPNoSuchFile("No such file"), NotFound),
    ("sftp denied", sftp.SFTPPermissionDenied("Permission denied"), PermissionDenied),
    ("exists", sftp.SFTPFileAlreadyExists("File exists"), AlreadyExists),
    ("not empty", sftp.SFTPDirNotEmpty("Directory not empty"), DirectoryNotEmpty),
    ("not a dir", sftp.SFTPNotADirectory("Not a directory"), NotAFolder),
    ("is a dir", sftp.SFTPFileIsADirectory("Is a directory"), NotAFile),
    ("disk full", sftp.SFTPNoSpaceOnFilesystem("No space"), StorageFull),
    ("sftp lost", sftp.SFTPConnectionLost("Connection lost"), BackendUnavailable),
]


@pytest.mark.parametrize(("label", "exc", "expected"), CASES, ids=[c[0] for c in CASES])
def test_maps_to_the_dvcremote_error(label: str, exc: BaseException, expected: type) -> None:
    mapped = map_ssh_error(exc, path="a/b.bin", backend="ssh")
    assert type(mapped) is expected
    assert mapped is not None
    assert mapped.path == "a/b.bin"
    assert mapped.backend == "ssh"


@pytest.mark.parametrize(
    "exc",
    [sftp.SFTPFailure("Failure"), ValueError("nope"), OSError(errno.EIO, "i/o")],
    ids=["generic sftp failure", "value error", "eio"],
)
def test_unknown_failures_are_left_to_the_generic_mapping(exc: BaseException) -> None:
    assert map_ssh_error(exc, path="x", backend="ssh") is None


def _raise_while_handling() -> None:
    try:
        raise sftp.SFTPNoSuchFile("gone")
    except sftp.SFTPNoSuchFile:
        raise ValueError("unrelated")  # noqa: B904 - the implicit context is the point


def test_context_is_not_mistaken_for_a_cause() -> None:
    """Only explicit chains count: an error raised while handling another is its own."""
    with pytest.raises(ValueError) as caught:
        _raise_while_handling()
    assert isinstance(caught.value.__context__, sftp.SFTPNoSuchFile)
    assert map_ssh_error(caught.value, path="x", backend="ssh") is None


def test_messages_are_redacted() -> None:
    exc = asyncssh.PermissionDenied(f"bad password {SECRET}")
    mapped = map_ssh_error(exc, path="p", backend="ssh", redact=lambda t: t.replace(SECRET, "***"))
    assert isinstance(mapped, BackendError)
    assert SECRET not in str(mapped)
    assert "***" in str(mapped)
