"""dvcremote-example: fsspec's in-memory filesystem as ``example://bucket/prefix``."""

from dvcremote_example.backend import ExampleBackend

__all__ = ["ExampleBackend"]
