"""Health: check_health answers, never raises, leaves the storage as it was."""

from __future__ import annotations

import pytest

from dvcremote.backend import Backend, Capability, HealthReport
from dvcremote_testing.backend_tests._base import BackendSuite, everything
from dvcremote_testing.backend_tests._doubles import probe
from dvcremote_testing.backend_tests.identity import PROBE_SECRET
from dvcremote_testing.markers import requires

C = Capability


class HealthTests(BackendSuite):
    def test_healthy_backend_reports_ok(self, backend: Backend) -> None:
        report = backend.check_health()
        assert isinstance(report, HealthReport)
        assert report.ok is True, report.detail
        assert report.backend == backend.name
        assert report.latency_s >= 0
        assert isinstance(report.detail, str)

    @pytest.mark.parametrize(
        "failure",
        [
            lambda: ConnectionRefusedError(f"connect to {PROBE_SECRET}@host refused"),
            lambda: TimeoutError("timed out"),
            lambda: RuntimeError(f"token {PROBE_SECRET} rejected"),
            lambda: PermissionError(13, "access denied"),
        ],
        ids=["refused", "timeout", "sdk-error", "denied"],
    )
    def test_failing_storage_is_reported_not_raised(
        self, backend: Backend, failure: object
    ) -> None:
        double, log = probe(backend, explode=lambda hook: failure())  # type: ignore[operator]
        double._remember_secrets({"password": PROBE_SECRET})
        report = double.check_health()
        assert log.calls, "check_health did not probe the storage through its hooks"
        assert report.ok is False
        assert report.backend == backend.name
        assert report.detail
        assert PROBE_SECRET not in report.detail

    @requires(C.LIST, C.WRITE)
    def test_health_check_changes_nothing(self, backend: Backend) -> None:
        backend.write("health/file.bin", b"x")
        before = everything(backend)
        for _ in range(2):
            assert backend.check_health().ok
        assert everything(backend) == before
