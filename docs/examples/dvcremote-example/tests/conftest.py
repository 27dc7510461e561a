"""The plugin's test fixtures: how to get a fresh, empty place on the storage."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from dvcremote_example import ExampleBackend
from dvcremote_example.cloud import ExampleCloud


@pytest.fixture
def make_example():
    """``make_remote(typ="example")`` calls this: a Cloud on a new, empty bucket."""

    def _make_example() -> ExampleCloud:
        return ExampleCloud(f"bucket-{uuid.uuid4().hex}")

    return _make_example


@pytest.fixture
def backend() -> Iterator[ExampleBackend]:
    """The conformance suite's backend, on a new, empty bucket."""
    cloud = ExampleCloud(f"bucket-{uuid.uuid4().hex}")
    store = ExampleBackend.from_url(cloud.url)
    yield store
    store.close()
    cloud.close()
