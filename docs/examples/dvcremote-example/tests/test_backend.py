"""The whole Backend contract, checked by dvcremote's conformance suite."""

from dvcremote_testing.backend_tests import BackendConformance


class TestExampleBackend(BackendConformance):
    pass
