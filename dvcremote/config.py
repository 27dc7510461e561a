"""``.dvc/config`` and ``.dvc/config.local``: read, merge, and change them as DVC does.

Files are INI as configobj writes it (``['remote "name"']`` sections, four-space
indent). Like DVC, a change rewrites the whole file from its parsed form. The
local file overrides the repository file key by key, and holds secrets: any
credential-like key is written there whatever level was asked for, so it never
reaches git. Remote keys only dvcremote understands go to ``.dvc/config.dvcremote``
(read between the two), since dvc refuses to run on a config its schema rejects
(see :mod:`dvcremote.remote_keys`).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dvcremote.backends.options import parse_bool
from dvcremote.errors import ConfigError, RemoteNotFound

if TYPE_CHECKING:
    from dvcremote.backend.base import Backend

REPO = "repo"
DVCREMOTE = "dvcremote"
LOCAL = "local"
SYSTEM = "system"
GLOBAL = "global"
#: The repository's files, which dvcremote writes; in merge order.
LEVELS = (REPO, DVCREMOTE, LOCAL)
#: Every file read, in merge order (later levels override earlier ones key by key):
#: the machine's and the user's dvc config below the repository's, as dvc merges them.
READ_LEVELS = (SYSTEM, GLOBAL, *LEVELS)


def outer_config_files() -> dict[str, str]:
    """Where dvc keeps the system and global config (``dvc/dirs.py``): the
    ``$DVC_SYSTEM_CONFIG_DIR`` / ``$DVC_GLOBAL_CONFIG_DIR`` folders, else what platformdirs
    gives dvc for ("dvc", "iterative"), so each OS gets dvc's own places (Linux: the
    first ``$XDG_CONFIG_DIRS`` entry and ``$XDG_CONFIG_HOME``, default ``/etc/xdg/dvc``
    and ``~/.config/dvc``; macOS: ``Library/Application Support/dvc``; Windows: ProgramData
    and LOCALAPPDATA, under ``iterative/dvc``)."""
    import platformdirs

    env = os.environ
    system = env.get("DVC_SYSTEM_CONFIG_DIR") or platformdirs.site_config_dir(_APP, _AUTHOR)
    user = env.get("DVC_GLOBAL_CONFIG_DIR") or platformdirs.user_config_dir(_APP, _AUTHOR)
    return {SYSTEM: os.path.join(system, "config"), GLOBAL: os.path.join(user, "config")}


#: The names dvc gives platformdirs (``dvc/dirs.py``: APPNAME, APPAUTHOR).
_APP, _AUTHOR = "dvc", "iterative"

#: Keys never written to the repository config.
SECRET_KEYS = frozenset(
    {
        "password",
        "secret_access_key",
        "session_token",
        "account_key",
        "connection_string",
        "sas_token",
        "token",
        "passphrase",
        "client_secret",
        "access_key_id",
        "key_passphrase",
        "gdrive_client_secret",
        "ask_password",
    }
)
#: Keys the core itself interprets; everything else goes to the backend.
GENERIC_KEYS = frozenset({"url", "jobs", "verify", "version_aware", "worktree"})
DEFAULT_LINK_TYPES = ("reflink", "copy")
LINK_TYPES = frozenset({"reflink", "hardlink", "symlink", "copy"})

_REMOTE_SECTION = re.compile(r'^remote\s+"(?P<name>[^"]+)"$')
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _is_local_path(url: str) -> bool:
    from dvcremote.backend.registry import scheme_of

    return scheme_of(url) == "local"


@dataclass(frozen=True)
class RemoteConfig:
    """One remote, merged from both files, its URL made absolute for local paths."""

    name: str
    url: str
    options: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = {k: ("***" if k in SECRET_KEYS else v) for k, v in self.options.items()}
        return f"RemoteConfig(name={self.name!r}, url={self.url!r}, options={shown!r})"

    @property
    def jobs(self) -> int | None:
        value = self.options.get("jobs")
        if value in (None, ""):
            return None
        try:
            jobs = int(value)
        except ValueError:
            raise ConfigError(f"remote {self.name!r}: jobs must be an integer") from None
        if jobs < 1:
            raise ConfigError(f"remote {self.name!r}: jobs must be at least 1")
        return jobs

    @property
    def worktree(self) -> bool:
        return parse_bool(f"remote {self.name!r}: worktree", self.options.get("worktree", False))

    @property
    def version_aware(self) -> bool:
        """Worktree implies version-aware; worktree with ``version_aware = false`` is an error."""
        raw = self.options.get("version_aware")
        worktree = self.worktree
        if raw is None:
            return worktree
        value = parse_bool(f"remote {self.name!r}: version_aware", raw)
        if worktree and not value:
            raise ConfigError(
                f"remote {self.name!r}: worktree = true needs version_aware (it cannot be false)"
            )
        return value

    def backend_options(self) -> dict[str, str]:
        """What ``open_backend`` gets besides the URL (generic keys included, as DVC passes)."""
        return {k: v for k, v in self.options.items() if k != "url"}

    def open_backend(self) -> Backend:
        from dvcremote.backend.registry import open_backend

        return open_backend(self.url, **self.backend_options())


class Config:
    """The two config files of one repository."""

    def __init__(
        self, dvc_dir: str | os.PathLike[str], *, repo_level: dict[str, Any] | None = None
    ) -> None:
        """``repo_level``: the repository file's parsed contents, read elsewhere (a repo
        import's source, from git); its folder's other files are then not read."""
        self.dvc_dir = os.path.abspath(os.fspath(dvc_dir))
        self.files = {
            **outer_config_files(),
            REPO: os.path.join(self.dvc_dir, "config"),
            DVCREMOTE: os.path.join(self.dvc_dir, "config.dvcremote"),
            LOCAL: os.path.join(self.dvc_dir, "config.local"),
        }
        if repo_level is None:
            self._levels: dict[str, dict[str, Any]] = {
                lvl: self._read(lvl) for lvl in READ_LEVELS
            }
        else:
            self._levels = {lvl: self._read(lvl) for lvl in (SYSTEM, GLOBAL)}
            self._levels.update({REPO: repo_level, DVCREMOTE: {}, LOCAL: {}})

    # -- files ---------------------------------------------------------------------------
    def _read(self, level: str) -> dict[str, Any]:
        path = self.files[level]
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        return parse(data, path)

    def _write(self, level: str) -> None:
        from configobj import ConfigObj

        path = self.files[level]
        packed = _pack(self._levels[level])
        buf = io.BytesIO()
        ConfigObj(packed).write(buf)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(buf.getvalue())
        os.replace(tmp, path)

    def level(self, level: str) -> dict[str, Any]:
        """The parsed contents of one file (sections -> keys; remotes under ``remote``)."""
        return self._levels[level]

    # -- merged view ---------------------------------------------------------------------
    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self._get(section, key, default)[0]

    def _get(self, section: str, key: str, default: Any = None) -> tuple[Any, str]:
        """(value, the level it came from)."""
        for level in reversed(READ_LEVELS):
            value = self._levels[level].get(section, {}).get(key)
            if value is not None:
                return value, level
        return default, REPO

    def _base(self, level: str) -> str:
        """The folder relative paths in ``level``'s file are relative to (its own)."""
        return os.path.dirname(self.files[level])

    @property
    def no_scm(self) -> bool:
        return parse_bool("core.no_scm", self.get("core", "no_scm", False))

    @property
    def default_remote(self) -> str | None:
        value = self.get("core", "remote")
        return str(value) if value else None

    @property
    def link_types(self) -> tuple[str, ...]:
        raw = self.get("cache", "type")
        if not raw:
            return DEFAULT_LINK_TYPES
        types = tuple(t.strip() for t in str(raw).split(",") if t.strip())
        bad = [t for t in types if t not in LINK_TYPES]
        if bad or not types:
            raise ConfigError(
                f"cache.type: unknown link type(s) {', '.join(bad) or repr(raw)}"
                f" (choose from {', '.join(sorted(LINK_TYPES))})"
            )
        return types

    @property
    def shared_cache(self) -> bool:
        """``cache.shared``: dvc accepts only ``group`` (any case); unset is False."""
        raw = self.get("cache", "shared")
        if raw is None or raw == "":
            return False
        if str(raw).lower() != "group":
            raise ConfigError(f"cache.shared: expected 'group', got {raw!r}")
        return True

    @property
    def cache_dir(self) -> str:
        raw, level = self._get("cache", "dir")
        if not raw:
            return os.path.join(self.dvc_dir, "cache")
        base = self._base(level)
        return os.path.normpath(os.path.join(base, os.path.expanduser(str(raw))))

    def remote_names(self) -> list[str]:
        names: list[str] = []
        for level in READ_LEVELS:
            for name in self._levels[level].get("remote", {}):
                if name not in names:
                    names.append(name)
        return names

    def remote(self, name: str | None = None) -> RemoteConfig:
        """The named remote, or the default one; RemoteNotFound names what is missing."""
        if name is None:
            name = self.default_remote
            if name is None:
                raise RemoteNotFound(
                    "no remote given and no default remote is set"
                    " (use -r NAME, or: dvcremote remote add -d NAME URL)"
                )
        options: dict[str, str] = {}
        url_level = REPO
        for level in READ_LEVELS:
            section = self._levels[level].get("remote", {}).get(name, {})
            options.update(section)
            if section.get("url"):
                url_level = level
        if not options:
            known = ", ".join(self.remote_names()) or "none configured"
            raise RemoteNotFound(f"remote {name!r} does not exist (known: {known})")
        url = options.get("url")
        if not url:
            raise ConfigError(f"remote {name!r} has no url")
        return RemoteConfig(name, self._resolve_url(url, self._base(url_level)), options)

    def _resolve_url(self, url: str, base: str) -> str:
        if _is_local_path(url) and not os.path.isabs(url):
            return os.path.normpath(os.path.join(base, os.path.expanduser(url)))
        return url

    # -- changes -------------------------------------------------------------------------
    def _store_url(self, url: str) -> str:
        """A relative local path given by the user is relative to the cwd; store it
        relative to ``.dvc/`` so the repository can move (DVC's convention)."""
        if _is_local_path(url) and not os.path.isabs(url):
            return os.path.relpath(os.path.abspath(os.path.expanduser(url)), self.dvc_dir)
        return url

    def add_remote(
        self,
        name: str,
        url: str,
        *,
        default: bool = False,
        force: bool = False,
        level: str = REPO,
    ) -> None:
        if not _NAME.match(name):
            raise ConfigError(f"invalid remote name {name!r}")
        if name in self.remote_names() and not force:
            raise ConfigError(f"remote {name!r} already exists (use force to overwrite)")
        for lvl in LEVELS:
            self._levels[lvl].get("remote", {}).pop(name, None)
        self._levels[level].setdefault("remote", {})[name] = {"url": self._store_url(url)}
        if default:
            self._levels[level].setdefault("core", {})["remote"] = name
        for lvl in LEVELS:
            self._write_if_exists_or(lvl, lvl == level)

    def modify_remote(
        self,
        name: str,
        key: str,
        value: str | None = None,
        *,
        unset: bool = False,
        level: str = REPO,
    ) -> str:
        """Set or unset one key; returns the level written (secrets always go local)."""
        if name not in self.remote_names():
            raise RemoteNotFound(f"remote {name!r} does not exist")
        if not key or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise ConfigError(f"invalid option name {key!r}")
        if unset:
            changed = False
            for lvl in LEVELS:
                section = self._levels[lvl].get("remote", {}).get(name)
                if section is not None and key in section:
                    if key == "url":
                        raise ConfigError("cannot unset url (remove the remote instead)")
                    del section[key]
                    changed = True
                    self._write(lvl)
            if not changed:
                raise ConfigError(f"remote {name!r} has no option {key!r}")
            return level
        if value is None:
            raise ConfigError(f"no value given for {key!r}")
        if key in SECRET_KEYS:
            level = LOCAL
        if key == "url":
            value = self._store_url(value)
        else:
            level = self._level_for_option(name, key, level)
        section = self._levels[level].setdefault("remote", {}).setdefault(name, {})
        previous = section.get(key)
        section[key] = value
        try:
            probe = self.remote(name)
            _ = probe.jobs, probe.version_aware  # refuse a bad value now, not at the next push
        except ConfigError:
            if previous is None:
                del section[key]
            else:
                section[key] = previous
            raise
        self._write(level)
        if level == DVCREMOTE:  # moved out of the files dvc reads (an older dvcremote wrote it)
            for lvl in (REPO, LOCAL):
                section = self._levels[lvl].get("remote", {}).get(name)
                if section is not None and section.pop(key, None) is not None:
                    self._write(lvl)
        return level

    def _level_for_option(self, name: str, key: str, level: str) -> str:
        """Where ``key`` of remote ``name`` goes: UnknownOption when its backend does not
        take it; ``config.dvcremote`` when dvc's schema would reject it."""
        from dvcremote.remote_keys import check_option, dvc_rejects

        url = self.remote(name).url
        check_option(name, url, key)
        if not dvc_rejects(url, key):
            return level
        if level == LOCAL:
            raise ConfigError(
                f"remote {name!r}: {key!r} is a dvcremote-only option, which dvc would refuse"
                " in .dvc/config.local; set it without --local (it is kept in"
                " .dvc/config.dvcremote, which dvc does not read)"
            )
        return DVCREMOTE

    def remove_remote(self, name: str) -> None:
        if name not in self.remote_names():
            raise RemoteNotFound(f"remote {name!r} does not exist")
        self._refuse_outer_only(name, "remove")
        for lvl in LEVELS:
            conf = self._levels[lvl]
            changed = conf.get("remote", {}).pop(name, None) is not None
            if conf.get("core", {}).get("remote") == name:
                del conf["core"]["remote"]
                changed = True
            if changed:
                self._write(lvl)

    def rename_remote(self, old: str, new: str) -> None:
        """Rename remote ``old`` in every config file that names it, the default
        included (``dvc remote rename``); ``.dvc`` files pinning ``old`` are left as
        they are, as dvc leaves them."""
        names = self.remote_names()
        if old not in names:
            raise RemoteNotFound(f"remote {old!r} does not exist")
        self._refuse_outer_only(old, "rename")
        if new in names:
            raise ConfigError(f"remote {new!r} already exists")
        if not new or any(c in new for c in '"[]\n'):
            raise ConfigError(f"{new!r} is not a valid remote name")
        for lvl in LEVELS:
            conf = self._levels[lvl]
            remotes = conf.get("remote", {})
            changed = old in remotes
            if changed:
                remotes[new] = remotes.pop(old)
            if conf.get("core", {}).get("remote") == old:
                conf["core"]["remote"] = new
                changed = True
            if changed:
                self._write(lvl)

    def _refuse_outer_only(self, name: str, action: str) -> None:
        """dvcremote writes only the repository's files: a remote only the system or
        global config defines is changed there (with ``dvc remote ... --global``)."""
        if not any(name in self._levels[lvl].get("remote", {}) for lvl in LEVELS):
            where = next(
                self.files[lvl] for lvl in (GLOBAL, SYSTEM)
                if name in self._levels[lvl].get("remote", {})
            )
            raise ConfigError(
                f"remote {name!r} is defined in {where}, which dvcremote does not write:"
                f" {action} it there"
            )

    def set_default(self, name: str | None, *, level: str = REPO) -> None:
        """Make ``name`` the default remote; None unsets it."""
        core = self._levels[level].setdefault("core", {})
        if name is None:
            core.pop("remote", None)
        else:
            if name not in self.remote_names():
                raise RemoteNotFound(f"remote {name!r} does not exist")
            core["remote"] = name
        self._write(level)

    def set(self, section: str, key: str, value: str | None, *, level: str = REPO) -> None:
        """Set (None: unset) a plain ``section.key`` value."""
        conf = self._levels[level]
        if value is None:
            conf.get(section, {}).pop(key, None)
        else:
            conf.setdefault(section, {})[key] = value
        self._write(level)

    def _write_if_exists_or(self, level: str, force: bool) -> None:
        if force or os.path.exists(self.files[level]):
            self._write(level)


def parse(data: bytes, path: str) -> dict[str, Any]:
    """A config file's bytes as sections -> keys (remotes under ``remote``); ``path``
    names it in errors."""
    from configobj import ConfigObj, ConfigObjError

    try:
        parsed = ConfigObj(io.BytesIO(data))
    except ConfigObjError as exc:
        raise ConfigError(f"cannot parse {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot parse {path}: not valid UTF-8 (bad byte at offset {exc.start})"
        ) from None
    return _unpack(parsed.dict(), path)


def _unpack(raw: dict[str, Any], path: str) -> dict[str, Any]:
    """``['remote "x"']`` sections -> ``{"remote": {"x": {...}}}``."""
    out: dict[str, Any] = {}
    for section, values in raw.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: {section!r} is outside any section")
        m = _REMOTE_SECTION.match(section)
        flat = {k: ",".join(v) if isinstance(v, list) else v for k, v in values.items()}
        if m:
            out.setdefault("remote", {})[m.group("name")] = {k: str(v) for k, v in flat.items()}
        else:
            out[section] = flat
    return out


def _pack(conf: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, values in conf.items():
        if section == "remote":
            for name, opts in values.items():
                out[f'remote "{name}"'] = dict(opts)
        elif values:
            out[section] = dict(values)
    # DVC writes [core] first and remotes after the plain sections.
    order = sorted(out, key=lambda s: (s != "core", s.startswith("remote "), 0))
    return {k: out[k] for k in order}
