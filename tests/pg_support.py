"""A real PostgreSQL with pgvector for the tests: the binaries of the `pgserver` wheel (PostgreSQL 16 with
pgvector bundled; Debian 12's PostgreSQL has no pgvector), started on loopback in a temporary folder.

Why not `pgserver.get_server`: it listens on a Unix socket only, and the backend must be proved over TCP
as a team's server would be reached. Its binaries and its run-as-another-user helpers are reused.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 60.0
FIX = ("install the test dependencies with 'bash scripts/setup.sh' (pip install -e '.[dev]' brings pgserver, "
       "which bundles PostgreSQL 16 with pgvector)")


class ServerUnavailable(RuntimeError):
    """No PostgreSQL with pgvector could be started here; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """One running server; `dsn` reaches its `postgres` database as the superuser, over 127.0.0.1."""

    folder: Path
    port: int
    pid: int
    start_seconds: float

    @property
    def dsn(self) -> str:
        return self.database_dsn("postgres")

    def database_dsn(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self) -> str:
        """A fresh, empty database (one per test keeps tests apart); its DSN."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.database_dsn(name)

    def drop_database(self, dsn: str) -> None:
        import psycopg

        name = dsn.rsplit("/", 1)[1]
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then SIGKILL if it lingers; the process is reaped and the folder goes."""
        try:
            os.kill(self.pid, signal.SIGINT)
            deadline = time.monotonic() + 20
            while not os.waitpid(self.pid, os.WNOHANG)[0]:  # our child: a zombie until reaped
                if time.monotonic() > deadline:
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
                    break
                time.sleep(0.05)
        except (ProcessLookupError, ChildProcessError):  # already gone (or reaped elsewhere)
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def _binaries() -> Path:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgserver._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise ServerUnavailable(f"the pgserver package is not installed ({exc}); {FIX}") from None
    lib = POSTGRES_BIN_PATH.parent / "lib" / "postgresql" / "vector.so"
    if not (POSTGRES_BIN_PATH / "postgres").exists() or not lib.exists():
        raise ServerUnavailable(f"{POSTGRES_BIN_PATH} lacks postgres or pgvector's vector.so; reinstall pgserver")
    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as a system user `pgserver` (created if missing)."""
    if os.geteuid() != 0:
        return None
    with warnings.catch_warnings():  # pgserver's import warns that XDG_RUNTIME_DIR is unset; not ours
        warnings.simplefilter("ignore")
        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists("pgserver")
    bin_path = _binaries()
    ensure_prefix_permissions(bin_path)  # the user must reach the binaries and libraries inside the venv
    ensure_folder_permissions(bin_path.parent, 0o055)
    return "pgserver"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(options: tuple[str, ...] = ()) -> PostgresServer:
    """initdb a temporary folder and start postgres on 127.0.0.1 at a free port; ServerUnavailable if not.

    `options` are more `-c name=value` settings (the benchmark gives the server more memory)."""
    import psycopg

    began = time.monotonic()
    bin_path = _binaries()
    user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="rag-pg-"))
    data = folder / "data"
    if user:
        shutil.chown(folder, user, user)
    try:
        subprocess.run([str(bin_path / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "--encoding=UTF8", "--locale=C"], check=True, capture_output=True, user=user, timeout=120)
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        detail = getattr(exc, "stderr", b"") or b""
        raise ServerUnavailable(f"initdb failed ({exc}: {detail.decode(errors='replace')[-500:]}); {FIX}") from None
    port = _free_port()
    log_path = folder / "postgres.log"
    with log_path.open("wb") as log:
        if user:
            shutil.chown(log_path, user, user)
        # fsync off: a test server's data is thrown away; it keeps builds fast on a loaded machine.
        proc = subprocess.Popen(
            [str(bin_path / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", "",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "maintenance_work_mem=256MB", "-c", "max_connections=200",
             *(arg for option in options for arg in ("-c", option))],
            stdout=log, stderr=subprocess.STDOUT, user=user, start_new_session=True)
    server = PostgresServer(folder, port, proc.pid, 0.0)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with psycopg.connect(server.dsn, connect_timeout=2, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                conn.execute("SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector")
            break
        except psycopg.Error as exc:
            if proc.poll() is not None or time.monotonic() > deadline:
                log_tail = log_path.read_text(errors="replace")[-1500:]
                server.stop()
                raise ServerUnavailable(f"PostgreSQL did not start on 127.0.0.1:{port} ({exc}); its log "
                                        f"ends:\n{log_tail}") from None
            time.sleep(0.2)
    server = PostgresServer(folder, port, proc.pid, time.monotonic() - began)
    atexit.register(server.stop)  # also when the run ends without its teardown (stop is idempotent)
    return server
