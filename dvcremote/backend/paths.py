"""Backend path rules: relative posix paths, checked before any I/O happens."""

from __future__ import annotations

from dvcremote.errors import InvalidPath

ROOT = ""


def normalize(path: str, *, backend: str | None = None) -> str:
    """Return the canonical form of ``path`` or raise InvalidPath.

    ``""`` and ``"."`` are the root (returned as ``""``). Anything that could
    escape the backend's root or alias another key is refused.
    """
    if (
        type(path) is str
        and path
        and path[0] != "/"
        and path[-1] != "/"
        and "//" not in path
        and "\\" not in path
        and "\x00" not in path
        and "/./" not in f"/{path}/"
        and "/../" not in f"/{path}/"
        and (len(path) < 2 or path[1] != ":")
    ):
        return path  # already canonical: the common case, checked with C string ops only
    if not isinstance(path, str):
        raise InvalidPath(f"path must be str, not {type(path).__name__}", backend=backend)
    if path in ("", "."):
        return ROOT
    if "\x00" in path:
        shown = path.replace("\x00", "\\0")
        raise InvalidPath("path contains a NUL byte", path=shown, backend=backend)
    if path.startswith("/") or "\\" in path or (len(path) > 1 and path[1] == ":"):
        raise InvalidPath("path must be relative and use '/'", path=path, backend=backend)
    for part in path.split("/"):
        if part == "":
            raise InvalidPath("path has an empty segment", path=path, backend=backend)
        if part in (".", ".."):
            raise InvalidPath(f"path segment {part!r} is not allowed", path=path, backend=backend)
    return path


def join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ROOT
