"""The plugin's own fixtures, as a third party would reuse them.

A third party's top-level conftest can say ``pytest_plugins = ["dvcremote_s3.testing"]``;
this conftest is not top-level in the monorepo (pytest refuses ``pytest_plugins``
there), so it imports the fixtures by name instead.
"""

from dvcremote_s3.testing import (  # noqa: F401
    s3_backend,
    s3_backend_factory,
    s3_bucket,
    s3_client,
    s3_env,
    s3_process_server,
    s3_server,
    s3_versioned_backend,
    s3_versioned_bucket,
)
