"""The SSH server fixtures come from the plugin's own importable module (as a third party
would load them with ``pytest_plugins = ["dvcremote_ssh.testing"]``; a non-root conftest
may not declare ``pytest_plugins``, so they are imported here)."""

from __future__ import annotations

from dvcremote_ssh.testing import ssh_backend, ssh_root, ssh_server, ssh_url

__all__ = ["ssh_backend", "ssh_root", "ssh_server", "ssh_url"]
