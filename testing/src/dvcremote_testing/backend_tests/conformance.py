"""The whole conformance suite in one class, for a plugin that wants everything."""

from __future__ import annotations

from dvcremote_testing.backend_tests.atomic import AtomicWriteTests
from dvcremote_testing.backend_tests.bulk import BulkTests
from dvcremote_testing.backend_tests.errors import ErrorTests
from dvcremote_testing.backend_tests.health import HealthTests
from dvcremote_testing.backend_tests.identity import IdentityTests
from dvcremote_testing.backend_tests.listing import ListingTests
from dvcremote_testing.backend_tests.metadata import MetadataTests
from dvcremote_testing.backend_tests.readwrite import ReadWriteTests
from dvcremote_testing.backend_tests.streaming import StreamingTests
from dvcremote_testing.backend_tests.threads import ThreadSafetyTests
from dvcremote_testing.backend_tests.versioning import VersioningTests


class BackendConformance(
    IdentityTests,
    ReadWriteTests,
    ListingTests,
    AtomicWriteTests,
    MetadataTests,
    StreamingTests,
    ErrorTests,
    HealthTests,
    VersioningTests,
    BulkTests,
    ThreadSafetyTests,
):
    """Every topic at once; subclass it next to a ``backend`` fixture."""


#: Every topic class, in the order a full run goes through them.
TOPICS: tuple[type, ...] = BackendConformance.__bases__
