"""SSH/SFTP storage for dvcremote (``ssh://`` and ``sftp://`` URLs), built on sshfs."""

from __future__ import annotations

from dvcremote_ssh.backend import SSHBackend

__all__ = ["SSHBackend"]
