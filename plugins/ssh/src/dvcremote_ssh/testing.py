"""A real SSH server on loopback for tests, reusable by anyone building on this plugin.

Load it with ``pytest_plugins = ["dvcremote_ssh.testing"]``. The session-scoped
``ssh_server`` runs OpenSSH's ``sshd`` when it is installed (what CI uses) and an
in-process asyncssh server otherwise; either way it gets a generated host key and
user key, and each test gets a fresh empty directory through ``ssh_root``.
``make_ssh`` gives dvcremote-testing's remote suites fresh directories as :class:`SSHCloud`.
``ssh_open_unreachable`` / ``ssh_open_refused`` are openers for the unavailable-storage
suites (a closed port; a key the server does not accept).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from dvcremote.backend import Capability
from dvcremote_testing.cloud import LocalCloud
from dvcremote_testing.servers import ProcessServer, backend_opener, free_port

__all__ = ["free_port"]  # re-exported: tests import it from here

#: Where Debian's openssh-server installs the daemon.
SSHD = "/usr/sbin/sshd"
#: Set to ``asyncssh`` to force the pure-Python server even where sshd exists.
SERVER_ENV = "DVCREMOTE_SSH_SERVER"
#: Compiled-in privilege-separation directory sshd refuses to start without.
PRIVSEP_DIR = "/run/sshd"

_START_TIMEOUT = 10.0
#: Protects ``SSHServer.encrypted_keyfile``; distinctive, so tests can look for leaks.
KEY_PASSPHRASE = "dvcremote-test-passphrase-7c41e9"


@dataclass
class SSHServer:
    """Connection facts for a running test server; the keys are files on this machine."""

    host: str
    port: int
    user: str
    #: Private key of the test user (OpenSSH format, no passphrase).
    keyfile: str
    #: A known_hosts file holding the server's host key for ``[host]:port``.
    known_hosts: str
    #: "openssh" or "asyncssh".
    kind: str
    workdir: str
    #: The same user key, encrypted with ``passphrase``.
    encrypted_keyfile: str = ""
    passphrase: str = field(default=KEY_PASSPHRASE, repr=False)
    log: str = ""
    #: The sshd process (None for the in-process asyncssh server): kill, freeze, restart.
    process: SshdProcess | None = field(default=None, repr=False)
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    def url(self, path: str) -> str:
        """An ``ssh://`` URL for an absolute path on the server."""
        return f"ssh://{self.user}@{self.host}:{self.port}{path}"

    def options(self) -> dict[str, Any]:
        """The remote config keys (DVC's names) that reach this server."""
        return {"keyfile": self.keyfile, "known_hosts": self.known_hosts}

    def stop(self) -> None:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()


def current_user() -> str:
    """The account the tests run as, which is who logs in over SSH."""
    return pwd.getpwuid(os.getuid()).pw_name


@dataclass
class _Keys:
    host_key: str
    user_key: str
    authorized_keys: str
    host_public: str
    encrypted_user_key: str


def _generate_keys(workdir: Path) -> _Keys:
    host = asyncssh.generate_private_key("ssh-ed25519")
    user = asyncssh.generate_private_key("ssh-ed25519", comment="dvcremote-test")
    host_key, user_key = workdir / "host_ed25519", workdir / "user_ed25519"
    host.write_private_key(str(host_key))
    user.write_private_key(str(user_key))
    encrypted = workdir / "user_ed25519_encrypted"
    # PKCS#8 encryption needs only cryptography (OpenSSH-format encryption needs bcrypt).
    user.write_private_key(str(encrypted), "pkcs8-pem", passphrase=KEY_PASSPHRASE)
    for key in (host_key, user_key, encrypted):
        key.chmod(0o600)
    authorized = workdir / "authorized_keys"
    authorized.write_bytes(user.export_public_key())
    return _Keys(
        str(host_key),
        str(user_key),
        str(authorized),
        host.export_public_key().decode().strip(),
        str(encrypted),
    )


def _write_known_hosts(workdir: Path, host: str, port: int, keys: _Keys) -> str:
    path = workdir / "known_hosts"
    path.write_text(f"[{host}]:{port} {keys.host_public}\n")
    return str(path)


def sshd_available() -> bool:
    """sshd is installed and can start (it needs its privilege-separation directory)."""
    if not os.access(SSHD, os.X_OK):
        return False
    try:
        os.makedirs(PRIVSEP_DIR, mode=0o755, exist_ok=True)
    except OSError:
        return False
    return True


def _sshd_config(workdir: Path, host: str, port: int, keys: _Keys, sftp_only: bool) -> Path:
    config = workdir / "sshd_config"
    config.write_text(
        "\n".join(
            [
                # Like an SFTP-only account: whatever the client asks for, it gets sftp.
                *(["ForceCommand internal-sftp"] if sftp_only else []),
                f"Port {port}",
                f"ListenAddress {host}",
                f"HostKey {keys.host_key}",
                f"PidFile {workdir / 'sshd.pid'}",
                f"AuthorizedKeysFile {keys.authorized_keys}",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password",
                "UsePAM no",
                # The keys live in a temp dir whose parents sshd would judge too open.
                "StrictModes no",
                "Subsystem sftp internal-sftp",
                # Tests open many short connections at once (threads, bulk calls).
                "MaxStartups 100:30:200",
                "MaxSessions 64",
                "",
            ]
        )
    )
    return config


class SshdProcess(ProcessServer):
    """OpenSSH's ``sshd`` in the foreground, for the current user's keys only.

    Its per-connection sessions call setsid(); the kit's stop, kill and freeze reach
    them too (through /proc), as a machine that dies takes its sessions with it."""

    label = "sshd"
    start_timeout_s = _START_TIMEOUT

    def __init__(self, workdir: str | os.PathLike[str], keys: _Keys, sftp_only: bool) -> None:
        super().__init__(workdir)
        self.keys, self.sftp_only = keys, sftp_only

    def command(self, port: int) -> list[str]:
        config = _sshd_config(self.workdir, self.host, port, self.keys, self.sftp_only)
        return [SSHD, "-D", "-e", "-f", str(config)]


async def _run_command(process: asyncssh.SSHServerProcess[bytes]) -> None:
    """Run an exec request in a local shell, as sshd would (sshfs uses ``cp``, ``md5sum``)."""
    command = process.command
    if not command:
        process.stderr.write(b"interactive shells are not supported by this test server\n")
        process.exit(1)
        return
    proc = await asyncio.create_subprocess_shell(
        command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await process.redirect(stdin=proc.stdin, stdout=proc.stdout, stderr=proc.stderr)
    code = await proc.wait()
    await process.stdout.drain()
    await process.stderr.drain()
    process.exit(code)
    await process.wait_closed()  # runs asyncssh's clean-up of the redirected pipes


def _start_asyncssh(host: str, keys: _Keys, sftp_only: bool) -> tuple[int, Any]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="asyncssh-test-server", daemon=True)
    thread.start()

    connections: set[asyncssh.SSHServerConnection] = set()

    def track(conn: asyncssh.SSHServerConnection) -> None:
        connections.add(conn)

    async def listen() -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            host,
            0,
            server_host_keys=[keys.host_key],
            authorized_client_keys=keys.authorized_keys,
            sftp_factory=True,
            allow_scp=False,
            process_factory=None if sftp_only else _run_command,
            encoding=None,
            acceptor=track,
        )

    acceptor = asyncio.run_coroutine_threadsafe(listen(), loop).result(_START_TIMEOUT)
    port: int = acceptor.sockets[0].getsockname()[1]

    def stop() -> None:
        async def close() -> None:
            acceptor.close()
            await acceptor.wait_closed()
            for conn in list(connections):
                conn.close()
                await conn.wait_closed()
            current = asyncio.current_task()
            leftovers = [t for t in asyncio.all_tasks() if t is not current]
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            if not thread.is_alive():
                loop.close()

    return port, stop


def start_ssh_server(
    workdir: str | os.PathLike[str], *, kind: str | None = None, sftp_only: bool = False
) -> SSHServer:
    """Start a server for the current user; call ``stop()`` on the result when done.

    ``kind`` is "openssh" or "asyncssh"; by default sshd where installed (or as
    ``$DVCREMOTE_SSH_SERVER`` says). ``sftp_only`` refuses shell commands, like
    accounts restricted to ``internal-sftp``.
    """
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    host = "127.0.0.1"
    kind = kind or os.environ.get(SERVER_ENV) or ("openssh" if sshd_available() else "asyncssh")
    keys = _generate_keys(wd)
    process: SshdProcess | None = None
    if kind == "openssh":
        if not sshd_available():
            raise RuntimeError(f"{SSHD} is not installed or {PRIVSEP_DIR} cannot be created")
        process = SshdProcess(wd, keys, sftp_only)
        process.start()
        port, stop, log = process.port, process.stop, str(process.log)
    elif kind == "asyncssh":
        port, stop = _start_asyncssh(host, keys, sftp_only)
        log = ""
    else:
        raise ValueError(f"unknown SSH server kind {kind!r}; use 'openssh' or 'asyncssh'")
    known_hosts = _write_known_hosts(wd, host, port, keys)
    return SSHServer(
        host=host,
        port=port,
        user=current_user(),
        keyfile=keys.user_key,
        known_hosts=known_hosts,
        kind=kind,
        workdir=str(wd),
        encrypted_keyfile=keys.encrypted_user_key,
        log=log,
        process=process,
        _stop=stop,
    )


@contextmanager
def running_ssh_server(kind: str | None = None, *, sftp_only: bool = False) -> Iterator[SSHServer]:
    """A server and its scratch directory that both go away on exit."""
    workdir = tempfile.mkdtemp(prefix="dvcremote-sshd-")
    try:
        server = start_ssh_server(workdir, kind=kind, sftp_only=sftp_only)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def ssh_server() -> Iterator[SSHServer]:
    """One SSH server for the whole session (starting one costs key generation + a process)."""
    with running_ssh_server() as server:
        yield server


@pytest.fixture
def ssh_root(ssh_server: SSHServer) -> Iterator[str]:
    """A fresh, empty, absolute directory on the server for one test."""
    path = Path(ssh_server.workdir) / "data" / uuid.uuid4().hex
    path.mkdir(parents=True)
    yield str(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def ssh_url(ssh_server: SSHServer, ssh_root: str) -> str:
    """``ssh://user@127.0.0.1:PORT/<ssh_root>``."""
    return ssh_server.url(ssh_root)


@pytest.fixture
def ssh_backend(ssh_server: SSHServer, ssh_url: str) -> Iterator[Any]:
    """An :class:`~dvcremote_ssh.backend.SSHBackend` on a fresh directory, closed afterwards."""
    from dvcremote_ssh.backend import SSHBackend

    backend = SSHBackend.from_url(ssh_url, **ssh_server.options())
    try:
        yield backend
    finally:
        backend.close()


# -------------------------------------------------------- the remote suites' Cloud
class SSHCloud(LocalCloud):
    """A directory on the test server, seen through this machine's filesystem.

    The fixture's server runs on this machine, so what it stores are local files: the
    standard library reads them with no SFTP and no plugin code involved, and a bug in
    the plugin cannot hide behind the same bug in the check. ``url``/``config`` are what
    the repository uses: ``ssh://`` with the server's key and known_hosts.
    """

    def __init__(self, server: SSHServer, root: str | os.PathLike[str], path: str = "") -> None:
        super().__init__(root, path)
        self.server = server
        self._probed: tuple[str, frozenset[Capability], dict[str, str]] | None = None

    @property
    def url(self) -> str:
        return self.server.url(self.local_path.as_posix())

    def _probe(self) -> tuple[str, frozenset[Capability], dict[str, str]]:
        # Each probe opens a backend, and so an SSH connection: once per Cloud is enough.
        if self._probed is None:
            self._probed = super()._probe()
        return self._probed

    @property
    def config(self) -> dict[str, Any]:
        return {"url": self.url, **self.server.options()}

    def _child(self, path: str) -> SSHCloud:
        return SSHCloud(self.server, self.root, path)


MakeSSHCloud = Callable[[], SSHCloud]


@pytest.fixture
def make_ssh(ssh_server: SSHServer) -> Iterator[MakeSSHCloud]:
    """``make_remote(typ="ssh")``: a Cloud on a new, empty directory of the server.

    No ``make_ssh_version_aware``: SSH keeps no versions, so the version-aware and
    worktree suites skip for lack of VERSIONING, with the backend's note as the reason.
    """
    made: list[Path] = []

    def _make_ssh() -> SSHCloud:
        made.append(Path(ssh_server.workdir) / "remotes" / uuid.uuid4().hex)
        made[-1].mkdir(parents=True)
        return SSHCloud(ssh_server, made[-1])

    yield _make_ssh
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------ unavailable storage
#: A password the server never accepts (it allows keys only); must show in no message.
WRONG_PASSWORD = "dvcremote-wrong-password-5b19d0"

SSHOpener = Callable[..., Any]


@pytest.fixture
def ssh_open_unreachable(ssh_server: SSHServer) -> Iterator[SSHOpener]:
    """``(**options) -> SSHBackend`` for a loopback port where nothing listens.

    The backend connects when built, so the opener itself raises BackendUnavailable.
    """
    url = f"ssh://{ssh_server.user}@127.0.0.1:{free_port()}/data"
    options = {**ssh_server.options(), "known_hosts": "ignore", "timeout": 5}
    with _ssh_backends(url, options) as make:
        yield make


@pytest.fixture
def ssh_open_refused(
    ssh_server: SSHServer, ssh_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SSHOpener]:
    """``(**options) -> SSHBackend`` with a key the server was never told about (and a
    password it does not allow): the opener raises PermissionDenied."""
    stranger = tmp_path_factory.mktemp("stranger-key") / "id_ed25519"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(stranger))
    options = {"keyfile": str(stranger), "password": WRONG_PASSWORD,
               "known_hosts": ssh_server.known_hosts, "allow_agent": False, "timeout": 5}
    with _ssh_backends(ssh_url, options) as make:
        yield make


def _ssh_backends(url: str, defaults: dict[str, Any]) -> AbstractContextManager[SSHOpener]:
    """An opener of backends on ``url`` (options added to ``defaults``), closed on exit."""
    from dvcremote_ssh.backend import SSHBackend

    return backend_opener(SSHBackend.from_url, url, defaults)


# ------------------------------------------------- a server that dies or freezes
#: Short timeouts for the fault suite: a frozen server shows within seconds.
FAULT_TIMEOUTS = {"timeout": 2, "read_timeout": 3}


@pytest.fixture
def ssh_fault_server() -> Iterator[SSHServer]:
    """sshd for one test (``.process`` kills, freezes, restarts it); files persist
    across restarts, as they would on a real host."""
    if not sshd_available():
        pytest.skip(f"the fault suite needs OpenSSH's sshd ({SSHD}) to kill and freeze")
    with running_ssh_server("openssh") as server:
        yield server


@pytest.fixture
def ssh_open_fault_backend(ssh_fault_server: SSHServer) -> Iterator[SSHOpener]:
    """``(**options) -> SSHBackend`` on a fresh folder of the fault server, short timeouts."""
    root = Path(ssh_fault_server.workdir) / "data" / uuid.uuid4().hex
    root.mkdir(parents=True)
    url = ssh_fault_server.url(str(root))
    with _ssh_backends(url, {**ssh_fault_server.options(), **FAULT_TIMEOUTS}) as make:
        yield make
