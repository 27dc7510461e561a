"""Refuse a false green: a plugin's suite class that runs on dvcremote's own storage.

The remote suites' default fixtures give a local folder, so a subclass whose module
forgets to override ``remote`` (or a ``backend`` fixture that opens a plain path by
mistake) would test the built-in local backend and pass. The suites therefore fail
when the storage under test is one of the built-in backends (``dvcremote.backends``),
unless the test class says that this is the point with ``on_builtin_storage = True``
(dvcremote's own tests of its local and memory storage do).
"""

from __future__ import annotations

import pytest

#: Where dvcremote's own storages live; a plugin's classes never do.
BUILTIN_PACKAGE = "dvcremote.backends"

#: The class attribute a test class sets to run a suite on built-in storage on purpose.
OPT_IN = "on_builtin_storage"


def is_builtin(backend_class: type) -> bool:
    module = backend_class.__module__
    return module == BUILTIN_PACKAGE or module.startswith(f"{BUILTIN_PACKAGE}.")


def refuse_builtin_storage(
    request: pytest.FixtureRequest, backend_class: type, fixture: str, hint: str
) -> None:
    """Fail the test if ``fixture`` gave built-in storage to a class that did not opt in."""
    owner = request.cls
    if owner is None or getattr(owner, OPT_IN, False) or not is_builtin(backend_class):
        return
    pytest.fail(
        f"{owner.__name__} runs on dvcremote's built-in {backend_class.__name__}, not on"
        f" a plugin's storage: its {fixture!r} fixture was not overridden (or opens a"
        f" built-in URL). {hint} If testing the built-in storage is intended, set"
        f" `{OPT_IN} = True` on the class.",
        pytrace=False,
    )
