"""``dvcremote doctor`` / ``version`` and ``describe_plugins()``: what is installed, and
the registry's fast path for the core's own schemes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import write_tree

from dvcremote import __version__
from dvcremote.backend.registry import BUILTIN_SCHEMES, describe_plugins
from dvcremote.cli import main

# The plugins installed (editable) in the development environment, by scheme.
PLUGINS = {
    "s3": ("dvcremote-s3", "dvcremote_s3.backend:S3Backend"),
    "ssh": ("dvcremote-ssh", "dvcremote_ssh.backend:SSHBackend"),
    "sftp": ("dvcremote-ssh", "dvcremote_ssh.backend:SSHBackend"),
    "azure": ("dvcremote-azure", "dvcremote_azure.backend:AzureBackend"),
    "az": ("dvcremote-azure", "dvcremote_azure.backend:AzureBackend"),
    "local": ("dvcremote", "dvcremote.backends.local:LocalBackend"),
    "file": ("dvcremote", "dvcremote.backends.local:LocalBackend"),
    "memory": ("dvcremote", "dvcremote.backends.memory:MemoryBackend"),
}


def _by_scheme(plugins: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for plugin in plugins:
        for scheme in plugin["schemes"]:  # type: ignore[attr-defined]
            assert scheme not in found, f"{scheme} listed twice"
            found[scheme] = plugin
    return found


def test_doctor_json_lists_every_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dvcremote"] == __version__
    assert report["python"].startswith(".".join(map(str, sys.version_info[:2])))
    assert report["entry_point_group"] == "dvcremote.backends"
    schemes = _by_scheme(report["plugins"])
    for scheme, (dist, target) in PLUGINS.items():
        plugin = schemes[scheme]
        assert (plugin["distribution"], plugin["class"]) == (dist, target), scheme
        assert plugin["error"] is None
        assert "READ" in plugin["capabilities"]
    # A bucket's versioning is a variant's capability, and it is shown.
    s3_variants = {v["class"]: v for v in schemes["s3"]["variants"]}
    assert "VERSIONING" in s3_variants["dvcremote_s3.backend:S3VersionedBackend"]["capabilities"]
    assert "VERSIONING" not in schemes["s3"]["capabilities"]
    assert "VERSIONING" in schemes["memory"]["capabilities"]
    # CAPABILITY_NOTES come along where a class declares them.
    assert schemes["ssh"]["notes"]["VERSIONING"] == "SSH servers keep no file versions"
    assert schemes["local"]["notes"] == {}


def test_version_is_doctor_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    text = capsys.readouterr().out
    assert main(["doctor"]) == 0
    assert capsys.readouterr().out == text
    lines = text.splitlines()
    assert lines[0] == f"dvcremote {__version__}"
    assert lines[1].startswith(f"Python {sys.version_info.major}.{sys.version_info.minor}")
    assert "  s3://: dvcremote-s3 " in text
    assert "  sftp://, ssh://: dvcremote-ssh " in text
    assert "  az://, azure://: dvcremote-azure " in text
    assert "variant dvcremote_s3.backend:S3VersionedBackend: +VERSIONING" in text
    assert "note on VERSIONING: SSH servers keep no file versions" in text


def test_a_plugin_that_does_not_load_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A distribution registering a class that cannot be imported: doctor names it and
    exits 3, and still lists the others."""
    info = tmp_path / "dvcremote_broken-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: dvcremote-broken\nVersion: 1.2.3\n"
    )
    (info / "entry_points.txt").write_text(
        "[dvcremote.backends]\nbroken = dvcremote_no_such_module:Backend\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    broken = [p for p in describe_plugins() if "broken" in p.schemes]
    assert len(broken) == 1
    assert (broken[0].distribution, broken[0].version) == ("dvcremote-broken", "1.2.3")
    assert broken[0].backend is None
    assert "ModuleNotFoundError" in (broken[0].error or "")

    assert main(["doctor"]) == 3
    text = capsys.readouterr().out
    assert "broken://: dvcremote-broken 1.2.3, dvcremote_no_such_module:Backend" in text
    assert "ERROR: cannot load it: ModuleNotFoundError" in text
    assert "s3://" in text


def test_status_on_a_local_remote_scans_no_installed_distributions(
    workspace: Path, tmp_path: Path
) -> None:
    """The core's schemes resolve without importlib.metadata (whose scan of every
    installed distribution dominated ``status -c``'s start-up), and without loading
    the backends that are not used."""
    assert set(BUILTIN_SCHEMES) == {"local", "file", "memory"}
    write_tree(workspace, {"foo": "foo"})
    assert main(["init", "--no-scm", "-q"]) == 0
    assert main(["add", "-q", "foo"]) == 0
    assert main(["remote", "add", "-q", "-d", "store", str(tmp_path / "store")]) == 0
    assert main(["push", "-q"]) == 0
    code = (
        "import sys\n"
        "from dvcremote.cli import main\n"
        "rc = main(['status', '-c', '-q'])\n"
        "unwanted = ('importlib.metadata', 'dvcremote.backends.memory')\n"
        "print(rc, [m for m in unwanted if m in sys.modules])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert proc.stdout.strip() == "0 []", proc.stderr
