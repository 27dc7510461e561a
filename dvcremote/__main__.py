"""``python -m dvcremote``: the same as the ``dvcremote`` command."""

from dvcremote.cli import run

run()
