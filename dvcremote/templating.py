"""``dvc.yaml`` templating: ``vars``, ``${...}``, ``foreach``, ``matrix``, as dvc 3.67 expands them.

``dvc.lock`` and every dvc command name the stages of a templated ``dvc.yaml`` by
their expanded names (``fe@0``, ``fe@key``, ``mx@a-1``) and record their expanded
paths, so an output's flags and a stage's ``wdir`` can only be found after the same
expansion (dvc's ``dvc/parsing``). :func:`expand_stages` gives ``{name: body}`` with
every ``${...}`` resolved, ``vars`` removed, and each ``foreach``/``matrix`` group
replaced by its generated stages, in dvc's order.

The rules kept from dvc: a value that is exactly ``${x}`` keeps its type, inside a
string it turns to text (booleans as ``true``/``false``; a dict in ``cmd`` as
``--key value`` arguments); ``vars`` never redefine a key (no overwrite), ``item``
and ``key`` are reserved inside generated stages; a group's names come from the
values (a list of scalars), the index (a list holding collections) or the keys (a
dict). Even dvc's quirks are kept where they decide a name: a scalar taken from
``vars`` is named by Python's ``str`` (``True``), a literal one by dvc's (``true``).

Pure: the only input besides the parsed mapping is ``read_file``, which returns the
bytes of a vars file (repo-relative posix path) or None when it does not exist.
Hostile input is bounded (stages generated, work done, nesting of vars data) and
a vars file outside the repository or inside ``.git``/``.dvc`` is refused; every
problem is a :class:`~dvcremote.errors.DvcFileError` naming ``dvc.yaml``.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import product
from typing import Any

from dvcremote import yamlio
from dvcremote.errors import DvcFileError
from dvcremote.paramsfile import ParamsFileError, parse_params
from dvcremote.workspace_paths import protected_part

ReadFile = Callable[[str], "bytes | None"]

DEFAULT_PARAMS_FILE = "params.yaml"
JOIN = "@"
#: Most stages one ``dvc.yaml`` may expand to (a matrix multiplies quickly).
MAX_STAGES = 10_000
#: Most work units (values visited plus characters interpolated) one expansion may take.
MAX_WORK = 10_000_000
#: Deepest nesting accepted in vars data (the YAML bound; JSON and TOML are checked here).
MAX_DEPTH = yamlio.MAX_DEPTH

_PRIMITIVES = (int, float, str, bytes, bool)
#: ``${...}`` not preceded by a backslash; the inner text stops at the first ``}``.
_KEYCRE = re.compile(r"(?<!\\)\$\{(?P<inner>.*?)\}")
#: dvc's expression grammar: a word, then ``.word`` or ``[word]`` parts.
_WORD = re.compile(r"[^.\[\]]+")
_NEXT = re.compile(r"[ \n\r]*(?:\.([^.\[\]]+)|\[([^.\[\]]+)\])")


class TemplateError(Exception):
    """A templating problem, before the caller names where it happened."""


@dataclass(frozen=True)
class ParsingOptions:
    """dvc's ``[parsing]`` config: how a dict in ``cmd`` renders booleans and lists."""

    bool: str = "store_true"  # or "boolean_optional": False gives --no-key
    list: str = "nargs"  # or "append": --key a --key b


@dataclass
class _Node:
    """A value selected from the context (not written literally): dvc names it by str()."""

    value: Any


def _is_collection(value: Any) -> bool:
    return isinstance(value, (Mapping, list, tuple, bytes))


def to_str(value: Any, options: ParsingOptions | None = None) -> str:
    """A value interpolated inside a string, as dvc writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return _dict_args(value, options or ParsingOptions())
    return str(value)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _dict_args(data: Mapping[str, Any], options: ParsingOptions) -> str:
    """``{"lr": 0.1, "eval": true}`` as ``--lr 0.1 --eval`` (dvc's cmd form)."""
    parts: list[str] = []
    for key, value in _flatten(data):
        if isinstance(value, bool):
            if value:
                parts.append(f"--{key}")
            elif options.bool == "boolean_optional":
                parts.append(f"--no-{key}")
        elif isinstance(value, str):
            parts.append(f"--{key} {shlex.quote(value)}")
        elif isinstance(value, list):
            for n, item in enumerate(value):
                if isinstance(item, str):
                    item = shlex.quote(item)
                elif _is_collection(item):
                    raise TemplateError(f"Cannot interpolate nested iterable in '{key}'")
                if options.list == "append":
                    parts.append(f"--{key} {item}")
                else:
                    parts.append(f"{item}" if n > 0 else f"--{key} {item}")
        else:
            parts.append(f"--{key} {value}")
    return " ".join(parts)


def parse_expression(inner: str) -> list[str]:
    """The parts of ``a.b[0]`` (``["a", "b", "0"]``); a TemplateError if malformed.
    As dvc's pyparsing grammar: a word keeps its spaces, a space may precede a
    ``.`` or ``[`` that follows a ``]``, and may end the expression."""
    text = inner.expandtabs()  # as pyparsing does before matching
    first = _WORD.match(text)
    if first is None:
        raise TemplateError(f"'${{{inner}}}' is not a valid expression")
    parts, pos = [first.group(0)], first.end()
    while (found := _NEXT.match(text, pos)) is not None:
        parts.append(found.group(1) or found.group(2))
        pos = found.end()
    if text[pos:].strip(" \n\r"):
        raise TemplateError(f"'${{{inner}}}' is not a valid expression")
    return parts


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_WORK

    def spend(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise TemplateError(f"expands to more than {MAX_WORK} values and characters")


def _plain(value: Any, source: str, budget: _Budget | None = None, depth: int = 0) -> Any:
    """A fresh copy of vars data as dvc's context holds it: non-string keys dropped,
    scalars, lists and dicts only (a YAML timestamp is refused), nesting bounded."""
    if budget is not None:
        budget.spend(1)
    if depth > MAX_DEPTH:
        raise TemplateError(f"'{source}' is nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, Mapping):
        return {
            k: _plain(v, source, budget, depth + 1) for k, v in value.items() if isinstance(k, str)
        }
    if isinstance(value, list):
        return [_plain(v, source, budget, depth + 1) for v in value]
    raise TemplateError(f"unsupported value of type '{type(value).__name__}' in '{source}'")


class _VarsFiles:
    """Vars files read through the caller's callback and parsed, each once per expansion
    (the parsed data is never changed: merges take a :func:`_plain` copy)."""

    def __init__(self, read_file: ReadFile) -> None:
        self._read = read_file
        self._bytes: dict[str, bytes | None] = {}
        self._parsed: dict[str, Any] = {}

    def exists(self, path: str) -> bool:
        return self._raw(path) is not None

    def _raw(self, path: str) -> bytes | None:
        if path not in self._bytes:
            self._bytes[path] = self._read(path)
        return self._bytes[path]

    def load(self, path: str) -> Any:
        if path not in self._parsed:
            self._parsed[path] = self._parse(path)
        return self._parsed[path]

    def _parse(self, path: str) -> Any:
        data = self._raw(path)
        if data is None:
            raise TemplateError(f"'{path}' does not exist")
        try:
            return parse_params(path, data)
        except ParamsFileError as exc:
            raise TemplateError(f"'{path}': {exc}") from None


def vars_path(wdir: str, name: str) -> str:
    """The repo-relative path of vars file ``name`` given in folder ``wdir``; refused
    outside the repository and inside ``.git``/``.dvc``/``.hg``."""
    if name.startswith("/") or "\\" in name or "\x00" in name:
        raise TemplateError(f"vars file '{name}' is not a relative posix path")
    path = posixpath.normpath(posixpath.join(wdir, name)) if wdir else posixpath.normpath(name)
    if path == ".." or path.startswith(("../", "/")):
        raise TemplateError(f"vars file '{name}' is outside the repository")
    part = protected_part(path)
    if part is not None:
        raise TemplateError(f"vars file '{name}' is inside {part}/")
    return path


class Context:
    """The variables of one stage: merged vars, and ``item``/``key`` while a group expands."""

    def __init__(self, files: _VarsFiles, budget: _Budget, options: ParsingOptions) -> None:
        self.data: dict[str, Any] = {}
        self.sources: dict[tuple[str, ...], str] = {}
        self.imports: dict[str, list[str] | None] = {}
        self.reserved: set[str] = set()
        self.files = files
        self.budget = budget
        self.options = options

    def clone(self) -> Context:
        self.budget.spend(len(self.data) + len(self.sources) + len(self.imports))
        new = Context(self.files, self.budget, self.options)
        new.data = dict(self.data)  # nested dicts are replaced on merge, never changed
        new.sources = dict(self.sources)
        new.imports = {k: (list(v) if v is not None else None) for k, v in self.imports.items()}
        new.reserved = set(self.reserved)
        return new

    # -- loading vars ------------------------------------------------------------------

    def load_vars(self, items: Any, wdir: str, stage: str = "", default: bool = False) -> None:
        """Merge a ``vars`` list (files, ``file:key1,key2``, inline dicts) into the context."""
        if default and self.files.exists(vars_path(wdir, DEFAULT_PARAMS_FILE)):
            self._merge_file(DEFAULT_PARAMS_FILE, wdir)
        if not isinstance(items, list):
            raise TemplateError("'vars' must be a list of files and mappings")
        for index, item in enumerate(items):
            if isinstance(item, str):
                self._merge_file(item, wdir)
            elif isinstance(item, Mapping):
                source = f"{stage}.vars[{index}]" if stage else f"vars[{index}]"
                self._merge(_plain(item, source, self.budget), source)
            else:
                raise TemplateError(f"vars[{index}] must be a file name or a mapping")

    def _merge_file(self, item: str, wdir: str) -> None:
        name, _, keys_text = item.partition(":")
        path = vars_path(wdir, name)
        keys = [k for k in keys_text.split(",") if k] if keys_text else None
        if path in self.imports:
            done = self.imports[path]
            if not keys and done is None:
                return  # the whole file again: allowed
            if not keys and done is not None:
                raise TemplateError(f"cannot load '{item}' as it's partially loaded already")
            if keys and done is None:
                raise TemplateError(f"cannot partially load '{item}' as it's already loaded.")
            if done is not None and keys and set(keys) & set(done):
                raise TemplateError(f"cannot load '{item}' as it's partially loaded already")
        data = self.files.load(path)
        if not isinstance(data, Mapping):
            raise TemplateError(
                f"expected a dictionary, got '{type(data).__name__}' in file '{path}'"
            )
        if keys:
            missing = next((k for k in keys if k not in data), None)
            if missing is not None:
                raise TemplateError(f"could not find '{missing}' in '{path}'")
            data = {k: data[k] for k in keys}
        self._merge(_plain(data, path, self.budget), path, item)
        if path not in self.imports:
            self.imports[path] = list(keys) if keys is not None else None
        elif keys:
            listed = self.imports[path]
            assert listed is not None
            listed.extend(keys)

    def _merge(self, new: dict[str, Any], source: str, item: str | None = None) -> None:
        clash = sorted(k for k in self.reserved if k in new)
        if clash:
            where = f" in '{item}'" if item else ""
            plural = "s" if len(clash) > 1 else ""
            raise TemplateError(
                f"attempted to modify reserved key{plural} {', '.join(clash)}{where}"
            )
        self._merge_into(self.data, new, (), source)

    def _merge_into(
        self, into: dict[str, Any], new: Mapping[str, Any], at: tuple[str, ...], source: str
    ) -> None:
        for key, value in new.items():
            path = (*at, key)
            current = into.get(key)
            if isinstance(current, dict) and isinstance(value, dict):
                into[key] = current = dict(current)  # copy on write: clones share the rest
                self._merge_into(current, value, path, source)
                continue
            if key in into:
                raise TemplateError(
                    f"cannot redefine '{'.'.join(path)}' from '{source}' as it already"
                    f" exists in '{self._source_of(path)}'"
                )
            into[key] = value
            self.sources[path] = source

    def _source_of(self, path: tuple[str, ...]) -> str:
        for n in range(len(path), 0, -1):
            if path[:n] in self.sources:
                return self.sources[path[:n]]
        return "<local>"

    @contextmanager
    def temporarily(self, values: Mapping[str, Any]) -> Iterator[None]:
        """``item``/``key`` set (and reserved) while one generated stage resolves;
        ``values`` are context data already (see :func:`_plain`)."""
        before = {k: self.data[k] for k in values if k in self.data}
        added = [k for k in values if k not in self.data]
        newly = [k for k in values if k not in self.reserved]
        self.data.update(values)
        self.reserved.update(newly)
        try:
            yield
        finally:
            self.reserved.difference_update(newly)
            self.data.update(before)
            for key in added:
                self.data.pop(key, None)

    # -- resolving ---------------------------------------------------------------------

    def select(self, inner: str) -> Any:
        """The value ``${inner}`` names; a TemplateError when there is none."""
        parts = parse_expression(inner)
        value: Any = self.data
        for part in (p.strip() for p in parts):
            try:
                if isinstance(value, dict):
                    value = value[part]
                elif isinstance(value, list):
                    value = value[int(part)]
                else:
                    raise LookupError(part)
            except (LookupError, ValueError):
                raise TemplateError(f"Could not find '{'.'.join(parts)}'") from None
        return value

    def resolve(self, value: Any, key: str | None = None) -> Any:
        """``value`` with every string (mapping keys too) interpolated."""
        self.budget.spend(1)
        if isinstance(value, Mapping):
            return {self.resolve(k, key): self.resolve(v, key) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.resolve(v, key) for v in value)
        if isinstance(value, str):
            return self.resolve_str(value, key)
        return value

    def resolve_str(self, text: str, key: str | None = None, *, node: bool = False) -> Any:
        """``${x}`` alone keeps x's type (a _Node with ``node``); inside text it turns
        to dvc's string form; ``\\${`` is a literal ``${``."""
        matches = list(_KEYCRE.finditer(text))
        if len(matches) == 1 and matches[0].group(0) == text:
            value = self.select(matches[0]["inner"])
            _validate(value, key)
            return _Node(value) if node else value
        index, pieces = 0, []
        for match in matches:
            value = self.select(match["inner"])
            _validate(value, key)
            piece = to_str(value, self.options)
            self.budget.spend(len(piece))
            pieces += [text[index : match.start()], piece]
            index = match.end()
        pieces.append(text[index:])
        return "".join(pieces).replace("\\${", "${")


def _validate(value: Any, key: str | None) -> None:
    if value is None or isinstance(value, _PRIMITIVES) or key is None or "foreach" in key:
        return
    if isinstance(value, dict) and key == "cmd":
        return
    raise TemplateError(f"Cannot interpolate data of type '{type(value).__name__}'")


def _strings(value: Any) -> Iterator[str]:
    """Every string in ``value``, mapping keys included."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def check_syntax(value: Any) -> None:
    """Every ``${...}`` in ``value`` (keys too) is a valid expression."""
    for text in _strings(value):
        for match in _KEYCRE.finditer(text):
            parse_expression(match["inner"])


def _check_no_interpolation(value: Any) -> None:
    """``vars`` are loaded before anything resolves: no ``${...}`` in them."""
    if any(_KEYCRE.search(text) for text in _strings(value)):
        raise TemplateError("interpolating is not allowed")


def _unwrap(value: Any) -> Any:
    return value.value if isinstance(value, _Node) else value


def _name_part(value: Any) -> str:
    """How a scalar names a generated stage: str() when it came from vars, else to_str()."""
    return str(value.value) if isinstance(value, _Node) else to_str(value)


class _Expander:
    """One ``dvc.yaml``'s stages expanded; errors name the file and the stage."""

    def __init__(self, path: str, read_file: ReadFile, options: ParsingOptions) -> None:
        self.path = path
        self.folder = posixpath.dirname(path)
        self.context = Context(_VarsFiles(read_file), _Budget(), options)
        self.stages: dict[str, dict[str, Any]] = {}

    @contextmanager
    def where(self, what: str) -> Iterator[None]:
        """Turn a TemplateError into a DvcFileError naming dvc.yaml and ``what``."""
        try:
            yield
        except TemplateError as exc:
            raise DvcFileError(self.path, f"failed to parse {what}: {exc}") from None

    def run(self, data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        top_vars = data.get("vars", [])
        with self.where("'vars'"):
            _check_no_interpolation(top_vars)
            self.context.load_vars(top_vars, self.folder, default=True)
        stages = data.get("stages")
        if stages is None:
            return {}
        if not isinstance(stages, Mapping):
            raise DvcFileError(self.path, "'stages' must be a mapping")
        for name, definition in stages.items():
            if not isinstance(name, str):
                raise DvcFileError(self.path, f"stage name {name!r} is not a string")
            if JOIN in name:
                raise DvcFileError(
                    self.path,
                    f"stage '{name}': '{JOIN}' is kept for the names foreach and matrix"
                    " generate (dvc cannot find such a stage)",
                )
            if not isinstance(definition, Mapping):
                raise DvcFileError(self.path, f"stage '{name}' is not a mapping")
            if "matrix" in definition:
                self._matrix(name, definition)
            elif "foreach" in definition or "do" in definition:
                self._foreach(name, definition)
            else:
                self._add(name, self._entry(name, definition, self.context))
        return self.stages

    def _add(self, name: str, body: dict[str, Any]) -> None:
        self.stages[name] = body

    def _room_for(self, name: str, count: int) -> None:
        if len(self.stages) + count > MAX_STAGES:
            raise DvcFileError(
                self.path, f"stage '{name}' expands past {MAX_STAGES} stages; refused"
            )

    def _entry(
        self, name: str, definition: Mapping[str, Any], context: Context, checked: bool = False
    ) -> dict[str, Any]:
        """One concrete stage: stage vars merged, every value resolved."""
        if not checked:
            for key, value in definition.items():
                with self.where(f"'stages.{name}.{key}'"):
                    check_syntax(value)
        body = dict(definition)
        with self.where(f"'stages.{name}.wdir'"):
            wdir = self._wdir(context, body.get("wdir"))
        stage_vars = body.pop("vars", [])
        with self.where(f"'stages.{name}.vars'"):
            _check_no_interpolation(stage_vars)
            if stage_vars:
                context = context.clone()
            context.load_vars(stage_vars, wdir, stage=name)
        resolved: dict[str, Any] = {}
        for key, value in body.items():
            with self.where(f"'stages.{name}.{key}'"):
                resolved[key] = context.resolve(value, str(key))
        return resolved

    def _wdir(self, context: Context, wdir: Any) -> str:
        """The folder (repo-relative) stage vars files are read from."""
        if not wdir:
            return self.folder
        if not isinstance(wdir, str):
            raise TemplateError("wdir must be a string")
        joined = posixpath.join(self.folder, to_str(context.resolve_str(wdir)))
        return posixpath.normpath(joined)

    def _generate(
        self, name: str, template: Mapping[str, Any], members: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """The stages ``name@key`` of a group, ``item``/``key`` set for each."""
        self._room_for(name, len(members))
        if members:
            for key, value in template.items():
                with self.where(f"'stages.{name}.{key}'"):
                    check_syntax(value)
        for key, values in members.items():
            generated = f"{name}{JOIN}{key}"
            if not key or JOIN in key:
                raise DvcFileError(
                    self.path, f"stage '{name}' generates '{generated}', a name dvc cannot find"
                )
            with self.context.temporarily(values):
                self._add(generated, self._entry(generated, template, self.context, True))

    def _foreach(self, name: str, definition: Mapping[str, Any]) -> None:
        if set(definition) != {"foreach", "do"}:
            raise DvcFileError(self.path, f"stage '{name}': 'foreach' takes 'do' and nothing else")
        template = definition["do"]
        if not isinstance(template, Mapping):
            raise DvcFileError(self.path, f"stage '{name}': 'do' is not a mapping")
        with self.where(f"'stages.{name}.foreach'"):
            members = self._foreach_members(definition["foreach"])
        self._generate(name, template, members)

    def _foreach_members(self, data: Any) -> dict[str, dict[str, Any]]:
        """{name key: {"item": value[, "key": name key]}}, named as dvc names them."""
        context = self.context
        if isinstance(data, str):
            found = context.resolve_str(data, node=True)
            data = found.value if isinstance(found, _Node) else found
            if isinstance(data, list):
                data = [_Node(item) for item in data]
        elif isinstance(data, list):
            data = [
                context.resolve_str(v, node=True) if isinstance(v, str) else context.resolve(v)
                for v in data
            ]
        elif isinstance(data, Mapping):
            data = {
                (context.resolve_str(k, node=True) if isinstance(k, str) else k): context.resolve(v)
                for k, v in data.items()
            }
        if isinstance(data, Mapping):
            return {
                _name_part(k): {"item": _plain(v, "item"), "key": _name_part(k)}
                for k, v in data.items()
            }
        if not isinstance(data, list):
            raise TemplateError(f"expected list/dictionary, got {type(data).__name__}")
        if any(_is_collection(_unwrap(v)) for v in data):
            return {str(i): {"item": _plain(_unwrap(v), "item")} for i, v in enumerate(data)}
        return {_name_part(v): {"item": _plain(_unwrap(v), "item")} for v in data}

    def _matrix(self, name: str, definition: Mapping[str, Any]) -> None:
        if "foreach" in definition or "do" in definition:
            raise DvcFileError(self.path, f"stage '{name}': 'matrix' cannot take 'foreach'/'do'")
        template = {k: v for k, v in definition.items() if k != "matrix"}
        with self.where(f"'stages.{name}.matrix'"):
            axes = self._matrix_axes(definition["matrix"])
        size = 1
        for _, values in axes:
            size *= len(values)
            self._room_for(name, size)
        members: dict[str, dict[str, Any]] = {}
        for combination in product(*(enumerate(values) for _, values in axes)):
            item: dict[str, Any] = {}
            parts: list[str] = []
            for (axis, _), (i, value) in zip(axes, combination, strict=True):
                item[axis] = _unwrap(value)
                parts.append(f"{axis}{i}" if _is_collection(_unwrap(value)) else _name_part(value))
            key = "-".join(parts)
            members[key] = {"key": key, "item": item}
        self._generate(name, template, members)

    def _matrix_axes(self, matrix: Any) -> list[tuple[str, list[Any]]]:
        """[(axis, values)]: each value a _Node when it came from vars."""
        if not isinstance(matrix, Mapping):
            raise TemplateError("expected a mapping of lists")
        axes: list[tuple[str, list[Any]]] = []
        for axis, data in matrix.items():
            if not isinstance(axis, str):
                raise TemplateError(f"axis {axis!r} is not a string")
            if isinstance(data, str):
                found = self.context.resolve_str(data, node=True)
                if isinstance(found, _Node):
                    if isinstance(found.value, Mapping):
                        values: list[Any] = list(found.value)
                    elif isinstance(found.value, list):
                        values = [_Node(v) for v in found.value]
                    else:
                        raise TemplateError(f"axis '{axis}' is not a list")
                else:
                    values = list(found)  # a plain string: dvc iterates its characters
            elif isinstance(data, list):
                values = [
                    self.context.resolve_str(v, node=True)
                    if isinstance(v, str)
                    else self.context.resolve(v)
                    for v in data
                ]
            else:
                raise TemplateError(f"axis '{axis}' is not a list")
            plain = [
                _Node(_plain(v.value, axis)) if isinstance(v, _Node) else _plain(v, axis)
                for v in values
            ]
            axes.append((str(_unwrap(self.context.resolve_str(axis))), plain))
        return axes


def expand_stages(
    data: Mapping[str, Any],
    *,
    path: str,
    read_file: ReadFile,
    options: ParsingOptions | None = None,
) -> dict[str, dict[str, Any]]:
    """The concrete stages of the parsed ``dvc.yaml`` at repo-relative ``path``:
    ``{name: body}`` in dvc's order, foreach/matrix groups expanded, every
    ``${...}`` resolved, ``vars`` gone. Vars files (``params.yaml`` beside it when
    present) are read through ``read_file``."""
    return _Expander(path, read_file, options or ParsingOptions()).run(data)


__all__ = [
    "DEFAULT_PARAMS_FILE",
    "MAX_STAGES",
    "MAX_WORK",
    "ParsingOptions",
    "ReadFile",
    "TemplateError",
    "expand_stages",
    "to_str",
]
