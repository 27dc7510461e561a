"""Streaming: read() gives a stream, big files pass in pieces; seek and laziness if declared."""

from __future__ import annotations

import gc
import hashlib
import io
import tracemalloc

from dvcremote.backend import Backend, Capability
from dvcremote_testing.backend_tests._base import BackendSuite, md5, payload, pipe
from dvcremote_testing.markers import requires

C = Capability

BIG = 4 << 20
CHUNK = 64 << 10


@requires(C.READ, C.WRITE)
class StreamingTests(BackendSuite):
    def test_read_returns_a_closeable_stream(self, backend: Backend) -> None:
        data = payload(10_000, seed=30)
        backend.write("st/file.bin", data)
        with backend.read("st/file.bin") as stream:
            assert stream.readable()
            first = stream.read(100)
            assert 0 < len(first) <= 100
            rest = stream.read()
        assert stream.closed
        assert first + rest == data

    def test_read_in_small_pieces(self, backend: Backend) -> None:
        data = payload(10_007, seed=31)
        backend.write("st/pieces.bin", data)
        got = bytearray()
        with backend.read("st/pieces.bin") as stream:
            while piece := stream.read(1000):
                assert len(piece) <= 1000
                got += piece
            assert stream.read(1000) == b""
        assert bytes(got) == data

    def test_big_file_round_trip_in_chunks(self, backend: Backend) -> None:
        """A few MB from a pipe-like source, read back chunk by chunk."""
        data = payload(BIG, seed=32)
        result = backend.write("st/big.bin", pipe(data, piece=CHUNK))
        assert result.size == BIG
        digest = hashlib.md5()
        total = 0
        with backend.read("st/big.bin") as stream:
            while chunk := stream.read(CHUNK):
                assert len(chunk) <= CHUNK
                digest.update(chunk)
                total += len(chunk)
        assert total == BIG
        assert digest.hexdigest() == md5(data)

    def test_abandoned_stream_does_not_block_the_file(self, backend: Backend) -> None:
        data = payload(200_000, seed=33)
        backend.write("st/abandon.bin", data)
        for _ in range(3):
            with backend.read("st/abandon.bin") as stream:
                assert stream.read(10) == data[:10]
        backend.write("st/abandon.bin", b"replaced", overwrite=True)
        assert backend.read_bytes("st/abandon.bin") == b"replaced"

    def test_many_streams_open_at_once(self, backend: Backend) -> None:
        data = payload(50_000, seed=34)
        backend.write("st/shared.bin", data)
        streams = [backend.read("st/shared.bin") for _ in range(16)]
        try:
            heads = [s.read(1000) for s in streams]
            tails = [s.read() for s in streams]
        finally:
            for s in streams:
                s.close()
        assert all(h + t == data for h, t in zip(heads, tails, strict=True))

    @requires(C.SEEKABLE_READ)
    def test_seekable_read(self, backend: Backend) -> None:
        data = payload(100_000, seed=35)
        backend.write("st/seek.bin", data)
        with backend.read("st/seek.bin") as stream:
            assert stream.seekable()
            assert stream.seek(50_000) == 50_000
            assert stream.tell() == 50_000
            assert stream.read(10) == data[50_000:50_010]
            stream.seek(-100, io.SEEK_END)
            assert stream.read() == data[-100:]
            stream.seek(0)
            stream.seek(7, io.SEEK_CUR)
            assert stream.read(3) == data[7:10]
            stream.seek(0)
            assert stream.read() == data

    @requires(C.LAZY_READ)
    def test_lazy_read_does_not_load_the_whole_file(self, backend: Backend) -> None:
        """Opening and reading a little must cost far less memory than the file's size."""
        data = payload(BIG, seed=36)
        backend.write("st/lazy.bin", data)
        del data
        gc.collect()
        tracemalloc.start()
        try:
            with backend.read("st/lazy.bin") as stream:
                head = stream.read(CHUNK)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(head) > 0
        assert peak < BIG // 2, f"reading {CHUNK} bytes allocated {peak} bytes"
