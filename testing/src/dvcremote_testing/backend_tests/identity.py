"""Identity and capabilities: name, declared capabilities, the root, secrets, refusal of
undeclared operations before the backend runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dvcremote.backend import ALL_CAPABILITIES, Backend, Capability
from dvcremote.errors import BackendError, CapabilityNotSupported, NotFound
from dvcremote_testing.backend_tests._base import BackendSuite, optional_fixture, paths
from dvcremote_testing.backend_tests._doubles import probe
from dvcremote_testing.markers import requires

C = Capability

#: A value no backend would produce by itself, registered as a secret on a double.
PROBE_SECRET = "dvcremote-probe-secret-9f3a71c2"


@dataclass
class _Stage:
    """What the gated operations act on; created with the full backend beforehand."""

    file: str
    folder: str
    new: str
    local: Path
    version_id: str


#: Operations that each capability gates, with a check that the storage is untouched.
GATED: dict[Capability, list[tuple[str, Callable[[Backend, _Stage], object]]]] = {
    C.READ: [
        ("read", lambda b, s: b.read(s.file)),
        ("read_bytes", lambda b, s: b.read_bytes(s.file)),
        ("download_many", lambda b, s: b.download_many([(s.file, str(s.local / "dl"))])),
    ],
    C.WRITE: [
        ("write", lambda b, s: b.write(s.new, b"x")),
        ("write_atomic", lambda b, s: b.write_atomic(s.new, b"x")),
        ("open_atomic", lambda b, s: b.open_atomic(s.new)),
        ("upload_many", lambda b, s: b.upload_many([(str(s.local / "up"), s.new)])),
    ],
    C.DELETE: [
        ("delete", lambda b, s: b.delete(s.file)),
        ("delete(missing_ok)", lambda b, s: b.delete(s.file, missing_ok=True)),
        ("delete_folder", lambda b, s: b.delete_folder(s.folder, recursive=True)),
    ],
    C.LIST: [
        ("list_files", lambda b, s: list(b.list_files(s.folder))),
        ("list_files(recursive)", lambda b, s: list(b.list_files("", recursive=True))),
        ("list_folders", lambda b, s: list(b.list_folders(""))),
    ],
    C.MOVE: [("move", lambda b, s: b.move(s.file, s.new))],
    C.COPY: [("copy", lambda b, s: b.copy(s.file, s.new))],
    C.METADATA: [
        ("get_file_info", lambda b, s: b.get_file_info(s.file)),
        ("get_folder_info", lambda b, s: b.get_folder_info(s.folder)),
        ("get_file_info_many", lambda b, s: b.get_file_info_many([s.file])),
    ],
    C.ATOMIC_WRITE: [
        ("write_atomic", lambda b, s: b.write_atomic(s.new, b"x")),
        ("open_atomic", lambda b, s: b.open_atomic(s.new)),
    ],
    C.USER_METADATA: [
        ("write(metadata=...)", lambda b, s: b.write(s.new, b"x", metadata={"k": "v"})),
    ],
    C.VERSIONING: [
        ("read(version_id=...)", lambda b, s: b.read(s.file, version_id=s.version_id)),
        ("read_bytes(version_id=...)",
         lambda b, s: b.read_bytes(s.file, version_id=s.version_id)),
        ("get_file_info(version_id=...)",
         lambda b, s: b.get_file_info(s.file, version_id=s.version_id)),
        ("exists(version_id=...)", lambda b, s: b.exists(s.file, version_id=s.version_id)),
        ("list_versions", lambda b, s: b.list_versions(s.file)),
        ("delete_version", lambda b, s: b.delete_version(s.file, s.version_id)),
    ],
}


class IdentityTests(BackendSuite):
    def test_name_is_a_short_identifier(self, backend: Backend) -> None:
        assert isinstance(backend.name, str)
        assert backend.name.strip() == backend.name != ""
        assert type(backend).name == backend.name

    def test_capabilities_are_declared_on_the_class(self, backend: Backend) -> None:
        declared = type(backend).CAPABILITIES
        assert isinstance(declared, frozenset)
        assert all(isinstance(c, Capability) for c in declared)
        assert declared <= ALL_CAPABILITIES

    def test_capabilities_property_agrees_with_class(self, backend: Backend) -> None:
        assert backend.capabilities == type(backend).CAPABILITIES
        for capability in Capability:
            assert backend.supports(capability) is (capability in type(backend).CAPABILITIES)

    @requires(C.LIST)
    def test_fixture_gives_an_empty_location(self, backend: Backend) -> None:
        """Every other test relies on this: the plugin's fixture must start empty."""
        assert list(backend.list_files("", recursive=True)) == []
        assert list(backend.list_folders("")) == []

    @pytest.mark.parametrize("root", ["", "."])
    def test_root_exists_and_is_a_folder(self, backend: Backend, root: str) -> None:
        assert backend.exists(root) is True
        assert backend.is_folder(root) is True
        assert backend.is_file(root) is False

    @requires(C.METADATA)
    @pytest.mark.parametrize("root", ["", "."])
    def test_root_folder_info(self, backend: Backend, root: str) -> None:
        info = backend.get_folder_info(root)
        assert info.path == ""
        assert info.name == ""

    @requires(C.WRITE, C.LIST)
    def test_root_spelled_dot_lists_the_same(self, backend: Backend) -> None:
        backend.write("top.bin", b"1")
        backend.write("sub/inner.bin", b"2")
        assert paths(backend.list_files(".")) == paths(backend.list_files("")) == {"top.bin"}
        assert paths(backend.list_folders(".")) == {"sub"}
        assert paths(backend.list_files(".", recursive=True)) == {"top.bin", "sub/inner.bin"}

    def test_repr_shows_no_secret(self, backend: Backend, request: pytest.FixtureRequest) -> None:
        secrets: list[str] = list(optional_fixture(request, "backend_secrets", []))
        shown = [repr(backend), str(backend), backend.location]
        for secret in secrets:
            assert all(secret not in text for text in shown), "a secret shows in repr/location"
        assert all(isinstance(text, str) for text in shown)

    @requires(C.READ)
    def test_errors_show_no_secret(self, backend: Backend, request: pytest.FixtureRequest) -> None:
        """Both the backend's own errors and a native error quoting a credential are scrubbed."""
        secrets: list[str] = list(optional_fixture(request, "backend_secrets", []))
        with pytest.raises(NotFound) as missing:
            backend.read_bytes("no/such/file.bin")

        double, _ = probe(
            backend, explode=lambda hook: RuntimeError(f"{hook} denied for key {PROBE_SECRET}")
        )
        double._remember_secrets({"password": PROBE_SECRET})
        with pytest.raises(BackendError) as native:
            double.read_bytes("file.bin")
        for exc in (missing.value, native.value):
            text = f"{exc} {exc!r} {exc.args}"
            for secret in [*secrets, PROBE_SECRET]:
                assert secret not in text

    @requires(C.WRITE)
    @pytest.mark.parametrize(
        "capability",
        [c for c in Capability if c in GATED],
        ids=lambda c: c.value,
    )
    def test_undeclared_capability_refused_before_backend_runs(
        self, backend: Backend, capability: Capability, conformance_scratch: Path
    ) -> None:
        """Each gated operation raises CapabilityNotSupported and no hook of the plugin runs.

        The double is this backend with ``capability`` taken away (or as it is,
        if it never declared it), its hooks and helpers recording calls.
        """
        version_id = backend.write("gate/file.bin", b"content").version_id or "v-none"
        (conformance_scratch / "up").write_bytes(b"upload")
        stage = _Stage("gate/file.bin", "gate", "gate/new.bin", conformance_scratch, version_id)
        double, log = probe(backend, without=[capability])

        for label, operation in GATED[capability]:
            log.clear()
            with pytest.raises(CapabilityNotSupported) as info:
                operation(double, stage)
            assert info.value.capability == capability.value, label
            assert info.value.backend == backend.name, label
            assert log.calls == [], f"{label} ran {log.calls} before refusing"

        assert not backend.exists(stage.new)
        assert not (conformance_scratch / "dl").exists()
        if backend.supports(C.READ):
            assert backend.read_bytes(stage.file) == b"content"
        else:
            assert backend.exists(stage.file)
