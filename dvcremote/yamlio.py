"""YAML the way DVC reads and writes it.

DVC loads ``.dvc`` files as YAML 1.2 and writes them with ruamel.yaml's
round-trip emitter. Reading uses PyYAML's C parser (fast enough for thousands of
``.dvc`` blobs in git history) with YAML 1.2 scalar rules, so ``path: yes`` stays
the string DVC meant. Writing goes through ruamel.yaml itself: its line
breaking and quoting of long or unusual paths are part of the bytes DVC
produces, and copying them by hand would drift.

A ``.dvc`` file is hostile input, so before it is built into objects its event
stream (libyaml's iterative parser) is checked against :data:`MAX_DEPTH` and
:data:`MAX_EXPANSION`: deep nesting would overflow the C stack of PyYAML's
recursive composer (SIGSEGV), and an alias bomb ("billion laughs") is cheap to
load as shared references but explodes in everything that walks it (comparing,
copying, writing). :class:`YamlTooComplex` names the limit crossed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# YAML 1.2 implicit types as DVC's loader applies them (ruamel.yaml's core schema).
_RESOLVERS: list[tuple[str, re.Pattern[str], str]] = [
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (
        "tag:yaml.org,2002:float",
        re.compile(
            r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
            |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$""",
            re.X,
        ),
        "-+0123456789.",
    ),
    (
        "tag:yaml.org,2002:int",
        re.compile(
            r"""^(?:[-+]?0b[0-1_]+
            |[-+]?0o?[0-7_]+
            |[-+]?[0-9_]+
            |[-+]?0x[0-9a-fA-F_]+)$""",
            re.X,
        ),
        "-+0123456789",
    ),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), "~nN"),
    (
        "tag:yaml.org,2002:timestamp",
        re.compile(
            r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
            |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
            (?:[Tt]|[ \t]+)[0-9][0-9]?
            :[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
            (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
            re.X,
        ),
        "0123456789",
    ),
]


class _Loader(_Base):
    """Safe loader with YAML 1.2 scalars instead of PyYAML's 1.1 ones."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}


for _tag, _regexp, _first in _RESOLVERS:
    for _ch in list(_first) + ([""] if _tag.endswith("null") else []):
        _Loader.yaml_implicit_resolvers.setdefault(_ch, []).append((_tag, _regexp))


def _construct_int(loader: Any, node: Any) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if text.startswith(prefix):
            return sign * int(text[2:], base)
    return sign * int(text)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


#: Deepest nesting of collections accepted (a ``.dvc`` file needs about 7).
MAX_DEPTH = 100
#: Largest document accepted, in bytes (a 500 000-file ``files:`` list is ~100 MB).
MAX_BYTES = 256 * 1024 * 1024
#: Aliases may make the document at most this many times as many nodes as it has
#: (plus :data:`_EXPANSION_SLACK`): reuse is fine, exponential blow-up is not.
MAX_EXPANSION = 10
_EXPANSION_SLACK = 10_000
#: A line's leading run of indentation and block indicators: what block nesting needs.
_BLOCK_PREFIX = re.compile(rb"^[ \t?:-]*", re.M)
_FAST_LIMIT = 64 * 1024
#: An anchor, an alias or a flow collection: the fast proof does not cover them.
_NOT_PLAIN = re.compile(rb"[&*\[{]")


class YamlTooComplex(ValueError):
    """A document crosses a bound (size, depth, alias expansion); nothing was built."""


def _plainly_safe(data: bytes) -> bool:
    """A cheap proof that ``data`` has no aliases and nests less than MAX_DEPTH: no
    anchor, alias or flow bracket, and block nesting needs a column (or two levels,
    for a sequence under a key at its indentation) per level."""
    if len(data) > _FAST_LIMIT or _NOT_PLAIN.search(data):
        return False
    widest = max((len(m) for m in _BLOCK_PREFIX.findall(data)), default=0)
    return 2 * widest + 2 < MAX_DEPTH


def check_bounds(data: bytes) -> None:
    """Raise YamlTooComplex if ``data`` is too big, too deep or expands too much."""
    if len(data) > MAX_BYTES:
        raise YamlTooComplex(f"{len(data)} bytes is more than the {MAX_BYTES} accepted")
    if _plainly_safe(data):
        return
    anchors: dict[str, int] = {}
    # One [anchor, expanded node count] per open collection; the bottom one is the stream.
    stack: list[list[Any]] = [[None, 0]]
    events = 0
    start = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    end = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    for event in yaml.parse(data, Loader=_Loader):
        events += 1
        if isinstance(event, start):
            stack.append([event.anchor, 1])
            if len(stack) > MAX_DEPTH + 1:
                raise YamlTooComplex(f"nested deeper than {MAX_DEPTH} levels")
            continue
        if isinstance(event, end):
            anchor, size = stack.pop()
        elif isinstance(event, yaml.AliasEvent):
            anchor, size = None, anchors.get(str(event.anchor), 1)
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        else:
            continue
        if anchor is not None:
            anchors[anchor] = size
        stack[-1][1] += size
    if stack[0][1] > MAX_EXPANSION * events + _EXPANSION_SLACK:
        raise YamlTooComplex(
            f"aliases expand its {events} parts to {stack[0][1]} (an alias bomb?)"
        )


def loads(text: str | bytes) -> Any:
    """Parse one YAML document; raises ``yaml.YAMLError`` on bad syntax and
    YamlTooComplex past the bounds above."""
    check_bounds(text.encode("utf-8") if isinstance(text, str) else text)
    return yaml.load(text, Loader=_Loader)


def load_named(data: bytes, name: str, error: Callable[[str, str], Exception]) -> Any:
    """:func:`loads` for the file ``name``: bad syntax or a crossed bound is raised as
    ``error(name, reason)`` (a typed error naming the file, no parser traceback)."""
    try:
        return loads(data)
    except YamlTooComplex as exc:
        raise error(name, f"refused: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - any YAML failure is a parse error
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise error(name, f"not valid YAML{where}: {problem}") from None


def dumps(data: Any) -> str:
    """Serialise plain dicts/lists/scalars byte for byte as DVC does."""
    from ruamel.yaml import YAML

    emitter = YAML()
    emitter.default_flow_style = False
    buf = io.StringIO()
    emitter.dump(data, buf)
    return buf.getvalue()


def dumps_over(original: bytes, data: Any) -> str:
    """``data`` written over the file ``original`` was read from, as dvc rewrites a
    ``.dvc`` file: ruamel's round trip keeps comments, flow style and the place of
    keys that stay; only what changed is replaced, new keys go last."""
    from ruamel.yaml import YAML

    check_bounds(original)
    rt = YAML()  # round-trip mode: comments and styles live on the loaded nodes
    tree = rt.load(original)
    if not isinstance(tree, dict) or not isinstance(data, dict):
        return dumps(data)
    _apply_diff(data, tree)
    buf = io.StringIO()
    rt.dump(tree, buf)
    return buf.getvalue()


def _apply_diff(src: Any, dest: Any) -> None:
    """Make the round-trip node ``dest`` equal ``src`` in place (dvc's ``apply_diff``)."""
    if isinstance(src, dict) and isinstance(dest, dict):
        for key, value in src.items():
            current = dest.get(key)
            if key in dest and _same_container(value, current):
                _apply_diff(value, current)
            elif key not in dest or value != current:
                dest[key] = value
        for key in [k for k in dest if k not in src]:
            del dest[key]
    elif isinstance(src, list) and isinstance(dest, list):
        if len(src) != len(dest):
            dest[:] = src
            return
        for i, value in enumerate(src):
            if _same_container(value, dest[i]):
                _apply_diff(value, dest[i])
            elif value != dest[i]:
                dest[i] = value


def _same_container(a: Any, b: Any) -> bool:
    return (isinstance(a, dict) and isinstance(b, dict)) or (
        isinstance(a, list) and isinstance(b, list)
    )


def modify(original: bytes | None, change: Callable[[Any], None]) -> str:
    """What dvc's ``modify_yaml`` writes: ``original`` (None: no file yet) loaded with
    ruamel's round trip (comments, key order and styles kept; an empty file is ``{}``),
    changed in place by ``change``, and dumped again."""
    from ruamel.yaml import YAML

    rt = YAML()
    rt.default_flow_style = False
    data: Any = {}
    if original is not None:
        check_bounds(original)
        data = rt.load(original) or {}
    change(data)
    buf = io.StringIO()
    rt.dump(data, buf)
    return buf.getvalue()


def apply_diff(src: Any, dest: Any) -> None:
    """Make the round-trip node ``dest`` equal ``src`` in place (dvc's ``apply_diff``):
    keys and items that stay keep their comments and place."""
    _apply_diff(src, dest)
