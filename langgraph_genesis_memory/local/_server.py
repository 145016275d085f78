"""Local mode: a MongoDB-compatible server on loopback, kept under one data folder.

With no ``MONGODB_URI``, the store and the saver talk to a local server (the ``nx-27017``
package, a pure-Python server of MongoDB's wire protocol) that keeps its data under
``<data_dir>/mongo``. The server runs as its own process so that several processes (a graph,
a notebook, the command line) share it; it is started on demand, reused while it runs, and
stopped with :meth:`LocalServer.stop` or ``genesis-memory local stop``.

The data folder is ``GENESIS_DATA_DIR`` when set, else the nearest existing ``.genesis`` folder in
the working directory or one of its parents (as git finds ``.git``), else ``./.genesis``. When
the store or the saver opens local mode, one line on stderr says which data folder is used and
whether a server was started (once per process and folder).

Production deployments point ``MONGODB_URI`` at real MongoDB; nothing in this package relies on
the local server's differences from MongoDB (see ``docs/mongodb-features.md``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from langgraph_genesis_memory._config import DEFAULT_DATA_DIR, data_dir_from_env
from langgraph_genesis_memory.errors import LocalServerError, MissingDependencyError

_STATE_FILE = "local-server.json"
_LAUNCHED: list[subprocess.Popen[bytes]] = []  # servers started by this process
_LAUNCH = "import sys; from nx_27017.nx_27017 import main; sys.exit(main())"


@dataclass(frozen=True)
class LocalServerStatus:
    """What :meth:`LocalServer.status` found.

    Attributes:
        running: Whether a server answers for this data folder.
        data_dir: The data folder.
        uri: The connection string when running, else ``None``.
        pid: The server's process id when running, else ``None``.
    """

    running: bool
    data_dir: Path
    uri: str | None = None
    pid: int | None = None


class LocalServer:
    """Start, reuse and stop the local MongoDB-compatible server of one data folder.

    The constructor does no I/O. One data folder has at most one server: :meth:`start` takes a
    file lock, reuses a server that already answers, and otherwise launches one on a free
    loopback port (remembered in ``<data_dir>/local-server.json``, so later starts reuse it).

    Args:
        data_dir: The data folder. Default: ``GENESIS_DATA_DIR``, else the nearest existing
            ``.genesis`` folder in the working directory or a parent, else ``./.genesis``.
        host: Loopback address to bind. Default ``"127.0.0.1"``.
        port: TCP port; ``None`` (default) picks a free port on first start and keeps it.
        in_memory: Keep data in RAM only (``nx-27017 --data-dir memory``); for tests.

    Example:
        >>> server = LocalServer("/tmp/genesis-demo")
        >>> uri = server.start()          # doctest: +SKIP
        >>> server.stop()                 # doctest: +SKIP
        True
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        in_memory: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve() if data_dir else data_dir_from_env()
        self.host = host
        self.port = port
        self.in_memory = in_memory
        self.launched = False
        """Whether the last :meth:`start` launched a new server (``False``: reused one)."""

    # -- paths -----------------------------------------------------------------------------
    @property
    def _state_path(self) -> Path:
        return self.data_dir / _STATE_FILE

    @property
    def log_path(self) -> Path:
        """The server's log file, ``<data_dir>/nx.log``."""
        return self.data_dir / "nx.log"

    def _uri(self, port: int) -> str:
        return f"mongodb://{self.host}:{port}/?directConnection=true"

    def _read_state(self) -> dict[str, int] | None:
        try:
            state = json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(state, dict) or not isinstance(state.get("port"), int):
            return None
        return state

    # -- queries ---------------------------------------------------------------------------
    def status(self) -> LocalServerStatus:
        """Report whether this data folder's server is running and answering.

        Returns:
            A :class:`LocalServerStatus`; ``running`` is true only if the recorded process is
            alive and answers MongoDB's ``ping`` command.
        """
        state = self._read_state()
        if state and _pid_alive(state.get("pid")) and _ping(self._uri(state["port"])):
            return LocalServerStatus(True, self.data_dir, self._uri(state["port"]), state["pid"])
        return LocalServerStatus(False, self.data_dir)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, *, timeout: float = 30.0) -> str:
        """Start the server, or reuse the one already running for this data folder.

        Args:
            timeout: Seconds to wait for the server to answer ``ping``.

        Returns:
            The connection string, e.g. ``mongodb://127.0.0.1:40123/?directConnection=true``.

        Raises:
            MissingDependencyError: If the ``nx-27017`` package (extra ``local``) is missing.
            LocalServerError: If the server exits or does not answer within ``timeout``.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.data_dir / "local.lock"), timeout=timeout):
            current = self.status()
            if current.running and current.uri:
                self.launched = False
                return current.uri
            uri = self._launch(timeout)
            self.launched = True
            return uri

    def _launch(self, timeout: float) -> str:
        try:
            import nx_27017  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError(
                "Local mode needs the nx-27017 server: "
                "pip install 'langgraph-genesis-memory[local]' (or set MONGODB_URI)."
            ) from exc
        state = self._read_state()
        port = self.port or (state or {}).get("port") or _free_port(self.host)
        if not self.port and not _port_free(self.host, port):
            port = _free_port(self.host)
        store_dir = "memory" if self.in_memory else str(self.data_dir / "mongo")
        if not self.in_memory:
            Path(store_dir).mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable, "-c", _LAUNCH,
            "--data-dir", store_dir,
            "--host", self.host,
            "-p", str(port),
            "--log-file", str(self.log_path),
            "--pid-file", str(self.data_dir / "nx.pid"),
        ]  # fmt: skip
        with open(self.data_dir / "nx.stderr", "ab") as err:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
                close_fds=True,
            )
        _LAUNCHED.append(proc)  # the server outlives this call: keep its handle, unwarned
        self._state_path.write_text(json.dumps({"pid": proc.pid, "port": port}))
        uri = self._uri(port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LocalServerError(
                    f"The local MongoDB-compatible server exited with code {proc.returncode}; "
                    f"see {self.data_dir / 'nx.stderr'} and {self.log_path}."
                )
            if _ping(uri):
                return uri
            time.sleep(0.1)
        _terminate(proc.pid, 5.0)
        raise LocalServerError(
            f"The local server did not answer on {uri} within {timeout:g} s; see {self.log_path}."
        )

    def stop(self, *, timeout: float = 15.0) -> bool:
        """Stop this data folder's server (SIGTERM, then SIGKILL after ``timeout`` seconds).

        Returns:
            ``True`` if a running server was stopped, ``False`` if none was running.
        """
        if not self.data_dir.exists():
            return False
        with FileLock(str(self.data_dir / "local.lock"), timeout=timeout):
            state = self._read_state()
            pid = (state or {}).get("pid")
            if not _pid_alive(pid) or not _is_our_server(pid):
                return False
            assert pid is not None
            _terminate(pid, timeout)
            return True


def resolve_mongodb_uri(
    uri: str | None = None, *, data_dir: str | os.PathLike[str] | None = None
) -> tuple[str, bool]:
    """Pick the MongoDB deployment: ``uri``, else ``MONGODB_URI``, else the local server.

    Args:
        uri: An explicit connection string; wins over everything.
        data_dir: Local-mode data folder, used only when no URI is given or set.

    Returns:
        A tuple ``(uri, local)``: the connection string and whether it is the local server
        (started here if it was not running).

    Raises:
        MissingDependencyError, LocalServerError: As :meth:`LocalServer.start`.
    """
    chosen = uri or os.environ.get("MONGODB_URI")
    if chosen:
        return chosen, False
    server = LocalServer(data_dir)
    local_uri = server.start()
    _announce(server, local_uri, _origin(data_dir, server.data_dir))
    return local_uri, True


_ANNOUNCED: set[Path] = set()


def _origin(given: str | os.PathLike[str] | None, data_dir: Path) -> str:
    """How the data folder was chosen, for the announcement."""
    if given:
        return "given"
    if os.environ.get("GENESIS_DATA_DIR"):
        return "GENESIS_DATA_DIR"
    if data_dir == (Path.cwd() / DEFAULT_DATA_DIR).resolve():
        return "in the working directory"
    return "found in a parent of the working directory"


def _announce(server: LocalServer, uri: str, origin: str) -> None:
    """Say once per process and folder which data folder local mode uses; always say when a
    server was started (it keeps running after this process ends)."""
    if server.launched:
        pid = server.status().pid
        message = (
            f"local mode: started a MongoDB-compatible server at {uri} (pid {pid}) for the data "
            f"folder {server.data_dir} ({origin}); it keeps running for other processes "
            f"(stop it: genesis-memory local stop --data-dir {server.data_dir})"
        )
    elif server.data_dir not in _ANNOUNCED:
        message = f"local mode: data folder {server.data_dir} ({origin}), server at {uri}"
    else:
        return
    _ANNOUNCED.add(server.data_dir)
    print(f"[langgraph-genesis-memory] {message}", file=sys.stderr, flush=True)


def _ping(uri: str) -> bool:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client: MongoClient[Any] = MongoClient(uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited child not yet reaped) is not alive.
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().split(")")[-1].split()[0] == "Z":
                return False
    return True


def _is_our_server(pid: object) -> bool:
    """Whether ``pid`` runs the local server (guards against a recycled process id)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"nx_27017" in fh.read()
    except OSError:
        return True  # no /proc (not Linux): trust the recorded pid


def _terminate(pid: int, timeout: float) -> None:
    try:
        _signal_and_wait(pid, timeout)
    finally:
        for proc in [p for p in _LAUNCHED if p.pid == pid]:
            proc.poll()  # a server this process started: its handle learns that it ended
            _LAUNCHED.remove(proc)


def _signal_and_wait(pid: int, timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_free(host: str, port: int) -> bool:
    """Whether the server could listen on ``port``: probed with ``SO_REUSEADDR``, as the
    server binds, so that sockets of a killed server still in TIME_WAIT/FIN_WAIT do not push a
    restart onto another port (its clients would never find it again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True
