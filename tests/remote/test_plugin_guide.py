"""The plugin guide shows the example plugin's files word for word, and names real things."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dvcremote_testing.fixtures
import dvcremote_testing.plugin

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugin-guide.md"
EXAMPLE = ROOT / "docs" / "examples" / "dvcremote-example"
_BLOCK = re.compile(r"<!-- example: (?P<path>\S+) -->\n```[a-z]*\n(?P<body>.*?)```", re.S)


def _blocks() -> dict[str, str]:
    return {m["path"]: m["body"] for m in _BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))}


def test_guide_shows_every_example_source_file():
    shown = set(_blocks())
    files = {
        str(p.relative_to(EXAMPLE))
        for p in EXAMPLE.rglob("*")
        if p.is_file() and p.suffix in (".py", ".toml") and "__pycache__" not in p.parts
    }
    assert shown == files


@pytest.mark.parametrize("path", sorted(_blocks()))
def test_guide_block_is_the_example_file(path):
    assert _blocks()[path] == (EXAMPLE / path).read_text(encoding="utf-8")


def test_guide_lists_every_fixture_of_the_plugin():
    text = GUIDE.read_text(encoding="utf-8")
    for name in dvcremote_testing.plugin.__all__:
        assert f"`{name}" in text, name
    assert set(dvcremote_testing.plugin.__all__) == set(dvcremote_testing.fixtures.__all__)


def test_guide_describes_every_suite_test():
    from dvcremote_testing.remote_tests import (
        TestRemote,
        TestRemoteVersionAware,
        TestRemoteWorktree,
    )

    text = GUIDE.read_text(encoding="utf-8")
    for suite in (TestRemote, TestRemoteVersionAware, TestRemoteWorktree):
        for name in dir(suite):
            if name.startswith("test"):
                assert f"`{name}`" in text or f"`{suite.__name__}.{name}`" in text, name
