"""Backend conformance suites: inherit them and provide a ``backend`` fixture.

::

    import pytest
    from dvcremote_testing.backend_tests import BackendConformance

    @pytest.fixture
    def backend(tmp_path):
        return MyBackend(tmp_path)      # an EMPTY location, every test

    class TestMyBackend(BackendConformance):
        pass

Storage that can be down, refuse credentials or lack its bucket also inherits
``UnavailableStorageTests`` (and ``MissingStorageTests``) with opener fixtures; see
``backend_tests/unavailable.py``. A plugin whose server can die or freeze mid-transfer
inherits ``ServerFaultTests`` with ``fault_server`` / ``open_fault_backend`` fixtures (see
``backend_tests/faults.py``). Each topic class can also be inherited on its own.
Tests that need a capability the backend does not declare are skipped, naming it. An optional
``backend_secrets`` fixture lists strings that must never show in a repr or error.
"""

import pytest

# The suites live in an installed package, where pytest would not rewrite their
# asserts; without this a failing check shows no values.
pytest.register_assert_rewrite(
    *(f"dvcremote_testing.backend_tests.{topic}" for topic in (
        "atomic", "bulk", "conformance", "errors", "faults", "health", "identity", "listing",
        "metadata", "readwrite", "streaming", "threads", "unavailable", "versioning",
    ))
)

from dvcremote_testing.backend_tests.atomic import AtomicWriteTests  # noqa: E402
from dvcremote_testing.backend_tests.bulk import BulkTests  # noqa: E402
from dvcremote_testing.backend_tests.conformance import TOPICS, BackendConformance  # noqa: E402
from dvcremote_testing.backend_tests.errors import ErrorTests  # noqa: E402
from dvcremote_testing.backend_tests.faults import ServerFaultTests  # noqa: E402
from dvcremote_testing.backend_tests.health import HealthTests  # noqa: E402
from dvcremote_testing.backend_tests.identity import IdentityTests  # noqa: E402
from dvcremote_testing.backend_tests.listing import ListingTests  # noqa: E402
from dvcremote_testing.backend_tests.metadata import MetadataTests  # noqa: E402
from dvcremote_testing.backend_tests.readwrite import ReadWriteTests  # noqa: E402
from dvcremote_testing.backend_tests.streaming import StreamingTests  # noqa: E402
from dvcremote_testing.backend_tests.threads import ThreadSafetyTests  # noqa: E402
from dvcremote_testing.backend_tests.unavailable import (  # noqa: E402
    MissingStorageTests,
    RefusedCredentialsTests,
    UnavailableStorageTests,
    UnreachableStorageTests,
)
from dvcremote_testing.backend_tests.versioning import VersioningTests  # noqa: E402

__all__ = [
    "TOPICS",
    "AtomicWriteTests",
    "BackendConformance",
    "BulkTests",
    "ErrorTests",
    "HealthTests",
    "IdentityTests",
    "ListingTests",
    "MetadataTests",
    "MissingStorageTests",
    "ReadWriteTests",
    "RefusedCredentialsTests",
    "ServerFaultTests",
    "StreamingTests",
    "ThreadSafetyTests",
    "UnavailableStorageTests",
    "UnreachableStorageTests",
    "VersioningTests",
]
