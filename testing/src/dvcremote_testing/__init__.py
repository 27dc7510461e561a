"""Pytest suites and helpers that check a dvcremote storage plugin against the contract.

Nothing here is loaded by pytest on its own: a plugin's tests import the suites
they want (see ``dvcremote_testing.backend_tests``).
"""

__version__ = "0.1.0"
