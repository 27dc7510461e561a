"""The local content-addressed cache (``.dvc/cache``), DVC's layout and permissions.

Every object enters through a temporary file in the cache's own temp folder and
is renamed into place, read-only (0444), only once complete and verified: a
crash leaves at most a stray temp file, never a partial or wrong object.

With ``cache.shared = group`` (a cache several users of one group write to) every
folder the cache creates or writes into is made ``0o2775`` as dvc makes it
(``dvc_data``'s ``LocalHashFileDB``): group-writable, and setgid so that what is
created inside belongs to the folder's group whatever the writer's umask.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from dvcremote import manifest as manifest_mod
from dvcremote.errors import FileChanged, ObjectMissing
from dvcremote.hashing import copy_hashing
from dvcremote.links import Linker, hardlink, reflink, symlink
from dvcremote.manifest import Manifest
from dvcremote.objects import FILES_PREFIX, Obj, oid_from_parts

if TYPE_CHECKING:
    from dvcremote.placing import Placer
    from dvcremote.state import StatKey

READONLY = 0o444
#: Folder mode with ``cache.shared = group`` (dvc's ``_dir_mode``).
SHARED_DIR_MODE = 0o2775
#: The process umask, read once at import as dvc_data reads it.
_UMASK = os.umask(0)
os.umask(_UMASK)
_SEP = os.sep
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL
TMP_DIR = ".dvcremote-tmp"
TMP_MARK = ".dvcremote-tmp."
#: errnos of a cache that cannot take more data.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
#: Above this many lookups, one listing of the cache beats a stat per object.
_LIST_THRESHOLD = 2048


class LocalCache:
    def __init__(
        self, root: str | os.PathLike[str], link_types: Iterable[str], *, shared: bool = False
    ) -> None:
        self.root = os.path.abspath(os.fspath(root))
        #: ``cache.shared = group``: folders are made SHARED_DIR_MODE.
        self.shared = shared
        #: Objects are 0444 as dvc makes them (it chmods): a file created 0444 keeps
        #: that unless the umask takes read bits away (``umask 077``), or the cache is
        #: shared (then the group must read them whatever the umask).
        self._chmod_objects = shared or (READONLY & ~_UMASK) != READONLY
        self.linker = Linker(tuple(link_types))
        self.tmp_dir = os.path.join(self.root, TMP_DIR)
        self._files_root = os.path.join(self.root, *FILES_PREFIX.split("/"))
        self._dirs: set[str] = set()
        self._dirs_lock = threading.Lock()
        self._manifests: dict[Obj, Manifest] = {}
        self._probed = False
        # Unique temp names without a uuid per file: process token + counter.
        self._token = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._counter = itertools.count()
        #: Told the final path of each object this run wrote from hashed bytes
        #: (the repository records it as verified: see :mod:`dvcremote.integrity`).
        self.on_commit: Callable[[str], None] | None = None

    # -- layout --------------------------------------------------------------------------
    def path(self, obj: Obj) -> str:
        # Plain concatenation: called several times per file on hot paths.
        oid = obj.oid
        base = self.root if obj.legacy else self._files_root
        return f"{base}{_SEP}{oid[:2]}{_SEP}{oid[2:]}"

    def exists(self, obj: Obj) -> bool:
        try:
            return stat.S_ISREG(os.stat(self.path(obj)).st_mode)
        except OSError:
            return False

    def present(self, objs: Iterable[Obj]) -> set[Obj]:
        """The subset of ``objs`` held by the cache (listing the cache when that is cheaper)."""
        wanted = set(objs)
        if len(wanted) <= _LIST_THRESHOLD:
            return {o for o in wanted if self.exists(o)}
        return wanted & set(self.list_all())

    def list_all(self) -> Iterator[Obj]:
        """Every object in the cache, both layouts; non-object files are skipped."""
        for legacy, base in (
            (False, os.path.join(self.root, *FILES_PREFIX.split("/"))),
            (True, self.root),
        ):
            try:
                prefixes = list(os.scandir(base))
            except FileNotFoundError:
                continue
            for prefix in prefixes:
                if len(prefix.name) != 2 or not prefix.is_dir(follow_symlinks=False):
                    continue
                with os.scandir(prefix.path) as it:
                    for entry in it:
                        oid = oid_from_parts(prefix.name, entry.name)
                        if oid is not None and entry.is_file(follow_symlinks=False):
                            yield Obj(oid, legacy)

    # -- writing objects -----------------------------------------------------------------
    def tmp_path(self, obj: Obj | None = None) -> str:
        """A fresh temp name beside where ``obj`` goes (publishing it is a same-folder
        rename, and writers of different objects do not queue on one folder's lock).
        Temp names start with a dot, which no object name does, so listings skip them."""
        if obj is None:
            folder, name = self.tmp_dir, "tmp"
        else:
            folder, _, name = self.path(obj).rpartition(_SEP)
        if folder not in self._dirs:
            self._makedirs(folder)
            with self._dirs_lock:
                self._dirs.add(folder)
        return f"{folder}{_SEP}.{name}{TMP_MARK}{self._token}.{next(self._counter)}"

    def commit_tmp(self, tmp: str, obj: Obj, *, readonly: bool = False) -> None:
        """Publish a complete, verified temp file as ``obj`` (made read-only unless it
        was created so)."""
        final = self.path(obj)
        if not readonly or self._chmod_objects:
            os.chmod(tmp, READONLY)
        try:
            os.replace(tmp, final)
        except FileNotFoundError:
            if not os.path.exists(tmp):
                raise
            self._fresh_dir(os.path.dirname(final))
            os.replace(tmp, final)
        if self.on_commit is not None:
            self.on_commit(final)

    def _fresh_dir(self, folder: str) -> None:
        """(Re)create a folder the memo believed in (someone may have removed the cache)."""
        with self._dirs_lock:
            self._dirs.discard(folder)
        self._makedirs(folder)
        with self._dirs_lock:
            self._dirs.add(folder)

    def _makedirs(self, folder: str) -> None:
        if self.shared:
            make_shared_dirs(folder)
        else:
            os.makedirs(folder, exist_ok=True)

    def open_tmp(self, obj: Obj | None = None) -> tuple[int, str]:
        """Create a fresh temp file (mode 0444, writable through the returned fd)."""
        tmp = self.tmp_path(obj)
        try:
            return os.open(tmp, _CREATE, READONLY), tmp
        except FileNotFoundError:
            self._fresh_dir(os.path.dirname(tmp))
            return os.open(tmp, _CREATE, READONLY), tmp

    def ensure_tmp_dirs(self, objs: Iterable[Obj]) -> None:
        """Make sure the temp folders of ``objs`` exist now (before a backend writes there)."""
        for folder in {self.path(o).rpartition(_SEP)[0] for o in objs}:
            self._fresh_dir(folder)

    def add_bytes(self, obj: Obj, data: bytes) -> None:
        with self.naming(self.path(obj)):
            self._add_bytes(obj, data)

    def _add_bytes(self, obj: Obj, data: bytes) -> None:
        fd, tmp = self.open_tmp(obj)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            self.commit_tmp(tmp, obj, readonly=True)
        except BaseException:
            _unlink_quiet(tmp)
            raise

    def probe_links(self) -> None:
        """Drop link types this filesystem refuses, once, before the first big job."""
        if self._probed:
            return
        self._probed = True
        if self.linker.preferred != "reflink":
            return
        src = self.tmp_path()
        dst = self.tmp_path()
        try:
            with open(src, "wb") as f:
                f.write(b"probe")
            try:
                reflink(src, dst)
            except OSError:
                self.linker.drop("reflink")
        finally:
            _unlink_quiet(src)
            _unlink_quiet(dst)

    def store_file(
        self,
        src: str,
        obj: Obj,
        key: StatKey,
        placer: Placer,
        *,
        data: bytes | None = None,
        in_cache: bool = False,
    ) -> bool:
        """Make sure ``obj`` holds ``src``'s content and link ``src`` per the link types.

        ``key`` is ``src``'s stat from before it was hashed; ``data``, when given, is
        its content as hashed. What enters the cache matches ``obj``'s name: a copy
        is hashed as it is made, and a link or reflink is kept only if ``src``'s stat
        did not change since it was hashed (else FileChanged, nothing kept). Returns
        True when the workspace file was replaced by a link (its stat changed).
        """
        kinds = self.linker.remaining()
        for i, kind in enumerate(kinds):
            last = i == len(kinds) - 1
            try:
                if not in_cache:
                    with self.naming(self.path(obj)):
                        self._store(kind, src, obj, key, data)
                if kind == "copy" or kind == "reflink":
                    return False
                target = self.path(obj)
                if kind == "hardlink":
                    if not in_cache or _same_file(src, target):
                        return False  # src is the cache file itself
                    placer.place(src, functools.partial(hardlink, target))
                    return True
                placer.place(src, functools.partial(symlink, target))
                return True
            except OSError as exc:
                if last or not _unsupported(exc):
                    raise
                self.linker.drop(kind)
        return False

    def _store(self, kind: str, src: str, obj: Obj, key: StatKey, data: bytes | None) -> None:
        """Put ``src``'s content in the cache as ``obj`` the ``kind`` way."""
        if kind == "copy":
            if data is not None:
                self.add_bytes(obj, data)
            else:
                self._copy_in(src, obj)
            return
        if kind == "reflink":
            self._via_tmp(obj, lambda tmp: reflink(src, tmp))
        else:  # hardlink, or symlink: the cache gets the same inode (or a copy)
            try:
                self._via_tmp(obj, lambda tmp: hardlink(src, tmp))
            except OSError:
                if kind == "hardlink":
                    raise
                self._copy_in(src, obj)
                return
        st = os.stat(src)
        if (st.st_ino, st.st_mtime_ns, st.st_size) != tuple(key):
            # Written to since it was hashed: the object may not be what its name says.
            self.remove(obj)
            raise FileChanged(src)

    def copy_hashing(self, src: str, hash_name: str) -> tuple[str, str]:
        """Copy ``src`` into a fresh cache temp file, hashing the bytes copied;
        returns (md5, temp path). Publish it with :meth:`commit_tmp`."""
        with self.naming(self.root):
            fd, tmp = self.open_tmp()
        try:
            try:
                with self.naming(self.root):
                    md5 = copy_hashing(src, fd, hash_name)
            finally:
                os.close(fd)
        except BaseException:
            _unlink_quiet(tmp)
            raise
        return md5, tmp

    def _copy_in(self, src: str, obj: Obj) -> None:
        md5, tmp = self.copy_hashing(src, obj.hash_name)
        if md5 != obj.md5:
            _unlink_quiet(tmp)
            raise FileChanged(src)
        try:
            self.commit_tmp(tmp, obj, readonly=True)
        except BaseException:
            _unlink_quiet(tmp)
            raise

    def _via_tmp(self, obj: Obj, make: object) -> None:
        tmp = self.tmp_path(obj)
        try:
            try:
                make(tmp)  # type: ignore[operator]
            except FileNotFoundError:
                self._fresh_dir(os.path.dirname(tmp))
                make(tmp)  # type: ignore[operator]
            self.commit_tmp(tmp, obj)
        except BaseException:
            _unlink_quiet(tmp)
            raise

    @staticmethod
    @contextlib.contextmanager
    def naming(path: str) -> Iterator[None]:
        """A full disk or quota while writing into the cache names the cache path
        (not the source file being read, nor nothing)."""
        try:
            yield
        except OSError as exc:
            if exc.errno in _FULL and exc.filename != path:
                raise OSError(exc.errno, os.strerror(exc.errno), path) from exc
            raise

    # -- reading objects -----------------------------------------------------------------
    def read_bytes(self, obj: Obj) -> bytes:
        try:
            with open(self.path(obj), "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise ObjectMissing(str(obj)) from None

    def load_manifest(self, obj: Obj) -> Manifest:
        """A directory's manifest from the cache (checked for unsafe paths), memoised."""
        cached = self._manifests.get(obj)
        if cached is None:
            cached = manifest_mod.parse(self.read_bytes(obj), obj.oid)
            self._manifests[obj] = cached
        return cached

    def remember_manifest(self, obj: Obj, manifest: Manifest) -> None:
        self._manifests[obj] = manifest

    def checkout(self, obj: Obj, dst: str) -> str:
        """Create ``dst`` (must not exist) from the cache; returns the link type used."""
        return self.linker.link(self.path(obj), dst)

    # -- removing ------------------------------------------------------------------------
    def remove(self, obj: Obj) -> None:
        _unlink_quiet(self.path(obj))
        self._manifests.pop(obj, None)

    def stray_tmp_files(self) -> Iterator[str]:
        """Temp files of this cache (all layouts), e.g. left by a killed process."""
        folders = [self.tmp_dir]
        for base in (os.path.join(self.root, *FILES_PREFIX.split("/")), self.root):
            try:
                folders += [e.path for e in os.scandir(base) if len(e.name) == 2 and e.is_dir()]
            except FileNotFoundError:
                continue
        for folder in folders:
            try:
                with os.scandir(folder) as it:
                    for entry in it:
                        if TMP_MARK in entry.name:
                            yield entry.path
            except FileNotFoundError:
                continue

    def clean_tmp(self, older_than: float = 3600.0) -> int:
        """Delete temp files left by interrupted runs (older than ``older_than`` s)."""
        removed = 0
        cutoff = time.time() - older_than
        for path in list(self.stray_tmp_files()):
            try:
                if os.lstat(path).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
            except OSError:
                continue
        return removed


def make_shared_dirs(path: str) -> None:
    """``os.makedirs`` for a shared cache, as dvc_objects' ``makedirs(mode=...)``: each
    folder it creates, and ``path`` itself even if it existed, gets SHARED_DIR_MODE
    (chmod, since mkdir's mode passes through the umask and drops setgid)."""
    head, tail = os.path.split(path)
    if head and tail and not os.path.exists(head):
        with contextlib.suppress(FileExistsError):  # another thread made it
            make_shared_dirs(head)
    try:
        os.mkdir(path, SHARED_DIR_MODE)
    except OSError:
        if not os.path.isdir(path):
            raise
    with contextlib.suppress(OSError):  # not ours to chmod: dvc goes on too
        os.chmod(path, SHARED_DIR_MODE)


def _same_file(a: str, b: str) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _unsupported(exc: OSError) -> bool:
    from dvcremote.links import _UNSUPPORTED

    return exc.errno in _UNSUPPORTED


def _unlink_quiet(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        pass
