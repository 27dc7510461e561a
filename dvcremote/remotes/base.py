"""The seam between the repository and how a remote lays out tracked data.

A Remote adapter gets the *outputs* (not bare object ids), so an adapter that
records something per file (a version id, an etag) can write it into the
outputs; the repository then writes every ``.dvc`` file whose data changed.
The content-addressed adapter never changes an output.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from dvcremote.progress import NULL, Progress

if TYPE_CHECKING:
    from dvcremote.backend.base import Backend
    from dvcremote.cache import LocalCache
    from dvcremote.config import RemoteConfig
    from dvcremote.dvcfile import Output
    from dvcremote.integrity import CacheVerifier
    from dvcremote.results import GCResult, StatusResult, TransferSummary


class Remote(ABC):
    """One configured remote: its config, an open backend, and the local cache it moves
    objects from and into (with the verifier that vouches for them). It never sees the
    repository."""

    #: The adapter kind, as chosen from the remote's config (see ``dvcremote.remotes``).
    kind: ClassVar[str] = ""
    #: Whether ``gc`` is implemented; checked before anything is deleted anywhere.
    supports_gc: ClassVar[bool] = False
    #: Whether the adapter records per-file version ids into outputs (a
    #: ``VersionAwareRemote``): history then gets each revision's own versions.
    records_versions: ClassVar[bool] = False

    def __init__(
        self, config: RemoteConfig, backend: Backend, cache: LocalCache, verifier: CacheVerifier
    ) -> None:
        self.cache = cache
        #: Checks cache objects against their names before they are uploaded.
        self.verifier = verifier
        self.config = config
        self.backend = backend
        self.check()

    @property
    def name(self) -> str:
        return self.config.name

    def jobs(self, jobs: int | None) -> int | None:
        """The worker count: the call's ``jobs``, else the remote's ``jobs`` config."""
        return jobs or self.config.jobs

    def check(self) -> None:
        """Refuse at once a configuration the backend cannot serve (raise ConfigError)."""

    @abstractmethod
    def status(
        self, outputs: Sequence[Output], *, jobs: int | None = None, method: str = "auto"
    ) -> StatusResult:
        """Compare the local cache with this remote for the outputs' objects."""

    @abstractmethod
    def push(
        self, outputs: Sequence[Output], *, jobs: int | None = None, progress: Progress = NULL
    ) -> TransferSummary:
        """Upload what the remote lacks; may record per-file remote data into ``outputs``."""

    @abstractmethod
    def fetch(
        self, outputs: Sequence[Output], *, jobs: int | None = None, progress: Progress = NULL
    ) -> TransferSummary:
        """Download what the cache lacks, verified, into the cache (not the workspace)."""

    def fetch_manifests(
        self, outputs: Sequence[Output], *, jobs: int | None = None
    ) -> TransferSummary:
        """Bring the directory manifests of ``outputs`` into the cache, so a caller can
        choose some of their files (a repo import of a folder inside a tracked
        directory). An adapter that cannot fetch a manifest alone fetches it all."""
        return self.fetch(outputs, jobs=jobs)

    def check_gc(self) -> None:
        """Raise ConfigError, before any deletion, if this adapter cannot gc."""
        if not self.supports_gc:
            from dvcremote.errors import ConfigError

            kind = (self.kind or type(self).__name__).replace("_", "-")
            raise ConfigError(
                f"gc -c is not supported for {kind} remotes (remote {self.name!r}):"
                " their old versions are what older revisions pull"
            )

    def gc(
        self,
        outputs: Sequence[Output],
        *,
        jobs: int | None = None,
        dry: bool = False,
        also_keep: Sequence[Output] = (),
    ) -> GCResult:
        """Delete from the remote what ``outputs`` do not use (``dry``: only report it).
        ``also_keep``: outputs whose objects are kept where they can be found (run-cache
        entries': one whose directory manifest is nowhere is no reason to refuse)."""
        self.check_gc()
        raise NotImplementedError

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, backend={self.backend!r})"
