"""Atomic writes: a file appears whole or not at all, and a failed write leaves no trace."""

from __future__ import annotations

import pytest

from dvcremote.backend import AtomicWriter, Backend, Capability
from dvcremote.errors import AlreadyExists, BackendError
from dvcremote_testing.backend_tests._base import (
    BackendSuite,
    Boom,
    everything,
    failing_pipe,
    payload,
)
from dvcremote_testing.markers import requires

C = Capability


def _write_then_fail(writer: AtomicWriter, data: bytes) -> None:
    with writer:
        writer.write(data)
        raise Boom("caller failed")


def _write_and_close(writer: AtomicWriter, data: bytes) -> None:
    with writer:
        writer.write(data)


@requires(C.READ, C.WRITE, C.ATOMIC_WRITE)
class AtomicWriteTests(BackendSuite):
    def test_write_atomic_publishes_the_whole_file(self, backend: Backend) -> None:
        data = payload(100_000, seed=10)
        result = backend.write_atomic("at/whole.bin", data)
        assert (result.path, result.size) == ("at/whole.bin", len(data))
        assert backend.read_bytes("at/whole.bin") == data

    def test_write_atomic_overwrite_rules(self, backend: Backend) -> None:
        backend.write_atomic("at/file.bin", b"original")
        with pytest.raises(AlreadyExists):
            backend.write_atomic("at/file.bin", b"other")
        assert backend.read_bytes("at/file.bin") == b"original"
        backend.write_atomic("at/file.bin", b"new", overwrite=True)
        assert backend.read_bytes("at/file.bin") == b"new"

    def test_open_atomic_shows_nothing_until_closed(self, backend: Backend) -> None:
        with backend.open_atomic("at/streamed.bin") as writer:
            for i in range(5):
                writer.write(payload(10_000, seed=i))
                assert not backend.exists("at/streamed.bin")
        assert writer.result is not None
        assert writer.result.size == 50_000
        assert backend.read_bytes("at/streamed.bin") == b"".join(
            payload(10_000, seed=i) for i in range(5)
        )

    def test_open_atomic_discarded_on_exception(self, backend: Backend) -> None:
        writer = backend.open_atomic("at/never.bin")
        with pytest.raises(Boom):
            _write_then_fail(writer, b"partial content")
        assert not backend.exists("at/never.bin")
        assert writer.result is None

    def test_open_atomic_exception_keeps_the_old_file(self, backend: Backend) -> None:
        backend.write("at/old.bin", b"old content")
        with pytest.raises(Boom):
            _write_then_fail(backend.open_atomic("at/old.bin", overwrite=True), b"new")
        assert backend.read_bytes("at/old.bin") == b"old content"

    def test_open_atomic_discard(self, backend: Backend) -> None:
        writer = backend.open_atomic("at/discarded.bin")
        writer.write(b"abandoned")
        writer.discard()
        assert not backend.exists("at/discarded.bin")
        assert writer.result is None

    def test_open_atomic_refuses_existing_without_overwrite(self, backend: Backend) -> None:
        backend.write("at/taken.bin", b"first")
        writer = backend.open_atomic("at/taken.bin")
        with pytest.raises(AlreadyExists):
            _write_and_close(writer, b"second")
        assert writer.result is None
        assert backend.read_bytes("at/taken.bin") == b"first"

    def test_open_atomic_overwrite(self, backend: Backend) -> None:
        backend.write("at/replace.bin", b"first, and longer")
        with backend.open_atomic("at/replace.bin", overwrite=True) as writer:
            writer.write(b"second")
        assert backend.read_bytes("at/replace.bin") == b"second"

    def test_failing_source_leaves_nothing_at_the_final_path(self, backend: Backend) -> None:
        with pytest.raises((BackendError, Boom)):
            backend.write_atomic("at/broken.bin", failing_pipe(payload(300_000, seed=11)))
        assert not backend.exists("at/broken.bin")

    def test_failing_source_keeps_the_old_file(self, backend: Backend) -> None:
        backend.write("at/kept.bin", b"precious")
        with pytest.raises((BackendError, Boom)):
            backend.write_atomic(
                "at/kept.bin", failing_pipe(payload(300_000, seed=12)), overwrite=True
            )
        assert backend.read_bytes("at/kept.bin") == b"precious"

    @requires(C.LIST)
    def test_failed_atomic_writes_leave_no_trace(self, backend: Backend) -> None:
        """No temp file and no half object is ever listed."""
        backend.write("trace/existing.bin", b"x")
        before = everything(backend)
        with pytest.raises((BackendError, Boom)):
            backend.write_atomic("trace/a.bin", failing_pipe(payload(200_000, seed=13)))
        with pytest.raises(Boom):
            _write_then_fail(backend.open_atomic("trace/c.bin"), b"partial")
        with pytest.raises(AlreadyExists):
            backend.write_atomic("trace/existing.bin", b"y")
        assert everything(backend) == before
        assert backend.read_bytes("trace/existing.bin") == b"x"
