"""One error hierarchy for everything dvcremote raises.

Backends translate their storage SDK's exceptions into these (the original is
chained as ``__cause__``), so callers never need to know which SDK is underneath.
"""

from __future__ import annotations


class DvcRemoteError(Exception):
    """Base of every error dvcremote raises on purpose."""


class BackendError(DvcRemoteError):
    """A storage operation failed; carries the path and the backend's name."""

    default_message = "storage operation failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        path: str | None = None,
        backend: str | None = None,
    ) -> None:
        self.path = path
        self.backend = backend
        self.message = message or self.default_message
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.backend:
            where.append(f"backend {self.backend!r}")
        if self.path is not None:
            where.append(f"path {self.path!r}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class NotFound(BackendError):
    default_message = "not found"


class AlreadyExists(BackendError):
    default_message = "already exists"


class PermissionDenied(BackendError):
    default_message = "permission denied"


class InvalidPath(BackendError):
    default_message = "invalid path"


class DirectoryNotEmpty(BackendError):
    default_message = "directory not empty"


class NotAFile(BackendError):
    default_message = "not a file"


class NotAFolder(BackendError):
    default_message = "not a folder"


class BackendUnavailable(BackendError):
    """The storage could not be reached (connection refused, DNS, timeout)."""

    default_message = "storage unavailable"


class CapabilityNotSupported(BackendError):
    default_message = "operation not supported by this backend"

    def __init__(
        self,
        capability: str,
        *,
        path: str | None = None,
        backend: str | None = None,
    ) -> None:
        self.capability = capability
        super().__init__(
            f"capability {capability} is not supported", path=path, backend=backend
        )


class VersionNotFound(NotFound):
    default_message = "version not found"

    def __init__(
        self,
        message: str | None = None,
        *,
        path: str | None = None,
        backend: str | None = None,
        version_id: str | None = None,
    ) -> None:
        self.version_id = version_id
        if message is None and version_id is not None:
            message = f"version {version_id!r} not found"
        super().__init__(message, path=path, backend=backend)


class IntegrityError(BackendError):
    """Downloaded or stored bytes do not match their expected hash or size."""

    default_message = "content does not match its hash"


class StorageFull(BackendError):
    default_message = "no space left on storage"


class ConfigError(DvcRemoteError):
    """A configuration value is missing, malformed or contradictory."""


class UnknownScheme(ConfigError):
    """No installed plugin handles a URL scheme."""


class RepoError(DvcRemoteError):
    """Base for errors about the repository (workspace, .dvc files, cache)."""
