"""YAML the way DVC reads and writes it.

DVC loads ``.dvc`` files as YAML 1.2 and writes them with ruamel.yaml's
round-trip emitter. Reading uses PyYAML's C parser (fast enough for thousands of
``.dvc`` blobs in git history) with YAML 1.2 scalar rules, so ``path: yes`` stays
the string DVC meant. Writing goes through ruamel.yaml itself: its line
breaking and quoting of long or unusual paths are part of the bytes DVC
produces, and copying them by hand would drift.
"""

from __future__ import annotations

import io
import re
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


def loads(text: str | bytes) -> Any:
    """Parse one YAML document; raises ``yaml.YAMLError`` on bad syntax."""
    return yaml.load(text, Loader=_Loader)


def dumps(data: Any) -> str:
    """Serialise plain dicts/lists/scalars byte for byte as DVC does."""
    from ruamel.yaml import YAML

    emitter = YAML()
    emitter.default_flow_style = False
    buf = io.StringIO()
    emitter.dump(data, buf)
    return buf.getvalue()
