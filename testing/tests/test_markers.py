"""The skip rules: reasons, no mutation of inherited tests, evaluation inside a real run."""

from __future__ import annotations

import pytest

from dvcremote.backend import Capability
from dvcremote.backends.memory import MemoryBackend
from dvcremote_testing.markers import (
    capability_notes,
    only_backends,
    requires,
    rules_of,
    skip_backend,
    skip_reason,
)

pytest_plugins = ["pytester"]

C = Capability


def _test_original(self: object, backend: object) -> None:
    """Stands for a suite test."""


def test_missing_capability_is_named() -> None:
    rules = rules_of(requires(C.VERSIONING, C.READ)(_test_original))
    assert skip_reason(rules, backend_name="x", capabilities={C.READ}) == (
        "backend lacks capability VERSIONING"
    )
    assert skip_reason(rules, backend_name="x", capabilities=set()) == (
        "backend lacks capabilities VERSIONING, READ"
    )
    assert skip_reason(rules, backend_name="x", capabilities={C.READ, C.VERSIONING}) is None


def test_capability_names_are_accepted_as_strings() -> None:
    rules = rules_of(requires("LIST")(_test_original))
    assert skip_reason(rules, backend_name="x", capabilities=set()) == (
        "backend lacks capability LIST"
    )


def test_missing_capabilities_carry_the_backends_notes() -> None:
    class Noted(MemoryBackend):
        CAPABILITY_NOTES = {"VERSIONING": "the emulator keeps none", C.LIST: "declared: unused"}

    notes = capability_notes(Noted)
    assert notes == capability_notes(Noted()) == {
        "LIST": "declared: unused", "VERSIONING": "the emulator keeps none"
    }
    rules = rules_of(requires(C.VERSIONING, C.LIST, C.READ)(_test_original))
    assert skip_reason(rules, backend_name="x", capabilities={C.LIST}, notes=notes) == (
        "backend lacks capabilities VERSIONING, READ (the emulator keeps none)"
    )
    assert skip_reason(rules, backend_name="x", capabilities={C.LIST, C.VERSIONING},
                       notes=notes) == "backend lacks capability READ"


def test_backend_name_rules() -> None:
    skipped = rules_of(skip_backend("s3", "gs", reason="no rename")(_test_original))
    assert skip_reason(skipped, backend_name="gs", capabilities=set()) == (
        "skipped for backend 'gs': no rename"
    )
    assert skip_reason(skipped, backend_name="local", capabilities=set()) is None
    only = rules_of(only_backends("local", reason="needs a real directory")(_test_original))
    assert skip_reason(only, backend_name="s3", capabilities=set()) == (
        "only for backends 'local', not 's3': needs a real directory"
    )
    assert skip_reason(only, backend_name="local", capabilities=set()) is None


def test_decorating_never_changes_the_original() -> None:
    wrapped = skip_backend("s3", reason="r")(requires(C.LIST)(_test_original))
    assert rules_of(_test_original) == ()
    assert len(rules_of(wrapped)) == 2
    assert wrapped.__name__ == "_test_original"
    assert wrapped.__wrapped__.__wrapped__ is _test_original  # type: ignore[attr-defined]


def test_rules_need_arguments() -> None:
    with pytest.raises(ValueError, match="capability"):
        requires()
    with pytest.raises(ValueError, match="reason"):
        skip_backend("s3", reason="")
    with pytest.raises(ValueError, match="name"):
        only_backends()
    with pytest.raises(TypeError, match="cannot apply"):
        requires(C.LIST)(42)


PLUGIN_TESTS = '''
import pytest
from dvcremote.backend import Capability
from dvcremote.backends.memory import MemoryBackend
from dvcremote_testing.backend_tests import IdentityTests, VersioningTests
from dvcremote_testing.markers import only_backends, skip_backend


class NoVersions(MemoryBackend):
    CAPABILITIES = MemoryBackend.CAPABILITIES - {Capability.VERSIONING}


@pytest.fixture
def backend():
    return NoVersions()


class TestNoVersions(VersioningTests):
    pass


@skip_backend("memory", reason="demo opt-out")
class TestOptOut(IdentityTests):
    pass


class TestOneOptOut(IdentityTests):
    test_name_is_a_short_identifier = only_backends("s3", reason="s3 only")(
        IdentityTests.test_name_is_a_short_identifier
    )


class TestPlain(IdentityTests):
    pass
'''


def test_rules_in_a_plugin_run(pytester: pytest.Pytester) -> None:
    """What a plugin author sees: capability skips named, opt-outs with their reason, and no
    unknown-mark complaint even under --strict-markers."""
    pytester.makepyfile(test_plugin=PLUGIN_TESTS)
    result = pytester.runpytest("-rs", "--strict-markers", "-W", "error", "-p", "no:cacheprovider")
    reports = result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
    skipped = {r.nodeid.split("::", 1)[1]: r.longrepr[2] for r in reports if r.skipped}
    passed = {r.nodeid.split("::", 1)[1] for r in reports if r.passed and r.when == "call"}

    versioning = {k: v for k, v in skipped.items() if k.startswith("TestNoVersions::")}
    assert versioning
    assert set(versioning.values()) == {"Skipped: backend lacks capability VERSIONING"}
    opt_out = {k: v for k, v in skipped.items() if k.startswith("TestOptOut::")}
    assert set(opt_out.values()) == {"Skipped: skipped for backend 'memory': demo opt-out"}
    assert skipped["TestOneOptOut::test_name_is_a_short_identifier"] == (
        "Skipped: only for backends 's3', not 'memory': s3 only"
    )
    assert "TestOneOptOut::test_capabilities_property_agrees_with_class" in passed
    assert "TestPlain::test_name_is_a_short_identifier" in passed
    assert result.ret == 0
