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


class ScmError(RepoError):
    """A git operation failed; the message names the revision or path involved."""


class NotAGitRepository(ScmError):
    """A git operation was asked for outside any git work tree."""


class RevisionNotFound(ScmError):
    """A revision name (branch, tag, sha, ``HEAD~N``) does not resolve to a commit."""

    def __init__(self, revision: str, detail: str | None = None) -> None:
        self.revision = revision
        message = f"revision {revision!r} not found"
        super().__init__(f"{message}: {detail}" if detail else message)


class ShallowHistory(ScmError):
    """The answer needs commits that a shallow clone does not have.

    Going on with the partial history would silently miss objects (and let gc
    delete data older commits still need), so this is an error.
    """

    def __init__(self, wanted: str, boundary: tuple[str, ...]) -> None:
        self.wanted = wanted
        self.boundary = boundary
        stops = ", ".join(sha[:12] for sha in boundary) or "unknown commits"
        super().__init__(
            f"{wanted} needs history this shallow clone does not have (it stops at {stops});"
            " fetch the full history first (git fetch --unshallow)"
        )


class ScmPathError(ScmError):
    """A path given to a git operation is outside the work tree, ignored, or absent."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path!r}: {reason}")


class CheckoutConflict(ScmError):
    """A checkout would overwrite local changes; nothing was changed."""

    def __init__(self, revision: str, paths: tuple[str, ...]) -> None:
        self.revision = revision
        self.paths = paths
        shown = ", ".join(paths[:10]) + (f" and {len(paths) - 10} more" if len(paths) > 10 else "")
        super().__init__(
            f"checking out {revision!r} would overwrite local changes to {shown or 'the work tree'}"
        )


class HistoricDvcfileError(ScmError):
    """A ``.dvc`` file stored in a commit could not be parsed; names the commit and path."""

    def __init__(self, path: str, revision: str, others: int = 0) -> None:
        self.path = path
        self.revision = revision
        plural = "s" if others != 1 else ""
        also = f" (and {others} other place{plural} in history)" if others else ""
        super().__init__(f"cannot parse {path!r} at revision {revision}{also}")


# --------------------------------------------------------------- repository (issue 3)
class NotARepository(RepoError):
    """No ``.dvc`` folder was found at or above the given path."""


class PathOutsideRepo(RepoError):
    """A target lies outside the repository (or inside its ``.dvc`` / ``.git`` folders)."""

    def __init__(self, path: str, root: str) -> None:
        self.path = path
        self.root = root
        super().__init__(f"{path!r} is outside the repository {root!r}")


class TargetNotFound(RepoError):
    """A target names neither an existing path nor a tracked output."""

    def __init__(self, target: str, detail: str = "does not exist") -> None:
        self.target = target
        super().__init__(f"{target!r} {detail}")


class DvcFileError(RepoError):
    """A ``.dvc`` file cannot be parsed or does not have DVC's structure."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot use {path!r}: {reason}")


class DvcIgnoreError(RepoError):
    """A ``.dvcignore`` file cannot be read, or sits inside a tracked directory."""


class IgnoredOutput(DvcFileError):
    """An output's own path (or a folder above it) is matched by ``.dvcignore``: dvc
    refuses to load such a file, for every command, before any work; so does dvcremote.
    ``path`` is the file recording the output, ``target`` its absolute path and
    ``rule`` the deciding ``.dvcignore:LINE:PATTERN``."""

    def __init__(self, path: str, target: str, rule: str) -> None:
        self.target = target
        self.rule = rule
        super().__init__(path, f"Path {target!r} is ignored by {rule}")


class UnsafePath(DvcFileError):
    """A path would write or delete where tracked data may never be: inside
    ``.git``/``.dvc``/``.hg``, the cache, a DVC file, or outside the workspace (also
    through a symlinked folder). Raised before any byte is written. ``target`` is
    the refused path, ``source`` where it came from (a ``.dvc`` file, a remote);
    ``path`` is the source, else the target."""

    def __init__(self, target: str, reason: str, *, source: str | None = None) -> None:
        self.target = target
        self.source = source
        self.path = source or target
        self.reason = f"output path {target!r} {reason}; refused"
        RepoError.__init__(
            self, f"{source}: {self.reason}" if source else f"{target!r} {reason}; refused"
        )


class InvalidRunCacheEntry(DvcFileError):
    """A run-cache entry (``runs/<k2>/<key>/<value>``, local or on a remote) is not a
    lock entry dvc would write under that name; it is never restored, pushed or pulled.
    ``path`` names the entry file."""


class InvalidManifest(RepoError):
    """A directory manifest (``.dir`` object) is malformed or names an unsafe path."""

    def __init__(self, oid: str, reason: str) -> None:
        self.oid = oid
        self.reason = reason
        super().__init__(f"directory manifest {oid!r} is invalid: {reason}")


class ObjectMissing(RepoError):
    """An object needed for the operation is in neither the cache nor the remote."""

    def __init__(self, oid: str, detail: str = "") -> None:
        self.oid = oid
        super().__init__(f"object {oid!r} is not in the cache{': ' + detail if detail else ''}")


class CorruptObject(RepoError):
    """A cache object's content no longer matches its name (changed in place, e.g.
    through a hard link or a symlink). It was removed from the cache, so it is
    neither pushed nor checked out; fetch it again or re-add its data."""

    def __init__(self, oid: str, path: str, actual: str) -> None:
        self.oid = oid
        self.path = path
        self.actual = actual
        super().__init__(
            f"cache object {oid!r} is corrupt: its content hashes to {actual!r} ({path});"
            " it was removed from the cache (fetch it again or re-add its data)"
        )


class FileChanged(RepoError):
    """A file kept changing while ``add`` read it: nothing of it was cached."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"{path!r} changed while it was being added; nothing of it was cached"
            " (add it again once nothing writes to it)"
        )


class RemoteNotFound(ConfigError):
    """The remote named (or the default remote) is not configured."""


class RepoLocked(RepoError):
    """Another dvcremote or dvc command holds the repository lock (``.dvc/tmp/lock``)."""

    def __init__(self, lock: str) -> None:
        self.lock = lock
        super().__init__(f"another dvcremote/dvc command is running (lock: {lock})")


class ConfirmationRequired(RepoError):
    """A destructive operation needs ``force=True`` or a confirming callback."""


class InvalidArgument(RepoError):
    """Options that do not go together, or a required one missing (``gc`` without a
    scope); nothing was done."""


# ------------------------------------------------------------ storage plugins (issue 6)
class VersioningNotEnabled(BackendError, ConfigError):
    """A version-aware remote points at storage that keeps no versions (e.g. a bucket
    with versioning off): a config problem, raised before anything is written.
    """

    default_message = "versioning is not enabled on the storage"


class StorageNotFound(BackendError, ConfigError):
    """The storage a remote lives in (an S3 bucket, an Azure container) does not exist.

    Not a ``NotFound``: nothing can be "missing" from storage that is not there, and
    a push cannot fix it (dvc creates neither buckets nor containers), so existence
    checks, listings and ``missing_ok`` deletes raise it instead of answering "absent".
    """

    default_message = "the storage does not exist"

    def _render(self) -> str:  # about the storage, not about the path that asked
        return f"{self.message} (backend {self.backend!r})" if self.backend else self.message


class LocalIOError(BackendError):
    """A bulk transfer failed on the local side (source unreadable, destination unwritable).

    Kept apart from NotFound & co. so callers never blame the remote for a local fault.
    """

    default_message = "local file error"


# ----------------------------------------------------------- git history (issue 7)
class InvalidHistoricDvcfile(HistoricDvcfileError):
    """A ``.dvc`` file in a commit does not parse; the parser's reason ends the message,
    so the user can find and fix the file without reading a traceback."""

    def __init__(self, path: str, revision: str, reason: str, others: int = 0) -> None:
        super().__init__(path, revision, others)
        self.reason = reason
        self.args = (f"{self.args[0]}: {reason}",)


# ------------------------------------------------------------------ pipelines (issue 13)
class PipelineError(RepoError):
    """A stage or the pipeline graph is not usable as asked; messages follow dvc's."""


class InvalidStage(PipelineError):
    """A stage definition (from ``stage add`` or a ``dvc.yaml``) is malformed; names the file."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class DuplicateStageName(PipelineError):
    """``stage add`` of a name the ``dvc.yaml`` already has, without ``force``."""


class OutputDuplication(PipelineError):
    """Two stages (or a stage and a ``.dvc`` file) name the same output."""


class OverlappingOutputs(PipelineError):
    """One output lies inside another stage's (or ``.dvc`` file's) output directory."""


class CyclicPipeline(PipelineError):
    """The stages' deps and outs form a cycle, or a stage depends on its own output."""


class StageNotFound(PipelineError):
    """A repro target names no stage."""


class StageCommandFailed(PipelineError):
    """A stage's command exited nonzero; its previous lock entry and the cache are kept."""

    def __init__(self, cmd: str, returncode: int, stage: str) -> None:
        self.cmd = cmd
        self.returncode = returncode
        self.stage = stage
        super().__init__(
            f"failed to reproduce {stage!r}: failed to run: {cmd}, exited with {returncode}"
        )


class ReproductionFailed(PipelineError):
    """``repro --keep-going``: some stages failed (each was reported as it failed);
    ``result`` is what the run did, ``stages`` the failed ones (dvc's message)."""

    def __init__(self, stages: list[str], names: str, result: object) -> None:
        self.stages = stages
        self.result = result
        many = " stages:" if len(stages) > 1 else ""
        super().__init__(f"failed to reproduce{many} {names}")


class StageCommitRefused(PipelineError):
    """``commit`` of a changed stage without ``force`` (or the user's yes): nothing written."""


class MissingParams(PipelineError):
    """A params file or key a stage tracks is absent or unreadable."""


# ------------------------------------------------------------------- imports (issue 12)
class ImportSourceError(RepoError):
    """A repo import's data could not be brought from its source repository (gone,
    no such revision, no remote, data not matching); names the ``.dvc`` file."""

    def __init__(self, dvcfile: str, source: str, reason: str) -> None:
        self.dvcfile = dvcfile
        self.source = source
        self.reason = reason
        super().__init__(f"{dvcfile}: cannot import from {source}: {reason}")
