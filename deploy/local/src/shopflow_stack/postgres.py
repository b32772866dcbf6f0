"""A PostgreSQL server for one service: initdb on first start, its own role and database."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import tempfile
from pathlib import Path

import asyncpg

from shopflow_stack.config import PostgresConfig, StackConfig
from shopflow_stack.install import ensure_command
from shopflow_stack.process import LocalProcess, StackError

_SERVER_BINARIES = ("/usr/lib/postgresql/*/bin",)


def _server_binary(name: str) -> str:
    return ensure_command(name, "postgresql", tuple(f"{d}/{name}" for d in _SERVER_BINARIES))


class PostgresServer(LocalProcess):
    kind = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: roll back open transactions, exit cleanly

    def __init__(self, config: PostgresConfig, stack: StackConfig) -> None:
        super().__init__(config.name, config.port, stack)
        self.config = config

    @property
    def data_dir(self) -> Path:
        return self.stack.state_dir / "postgres" / self.config.service

    def run_as(self) -> str | None:
        # PostgreSQL refuses to run as root; the Debian package creates this user.
        return "postgres" if os.geteuid() == 0 else None

    def argv(self) -> list[str]:
        settings = {
            "port": self.port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": "",  # TCP only: deep clones outgrow the 107-byte socket path
            "shared_buffers": "32MB",
            "max_connections": 200,
            "log_line_prefix": "%m [%p] %q%u@%d ",
        }
        argv = [_server_binary("postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def prepare(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        initdb = _server_binary("initdb")
        user = self.run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user:
            account = pwd.getpwnam(user)
            os.chown(self.data_dir, account.pw_uid, account.pw_gid)
            _require_reachable(self.data_dir, user)
        self.data_dir.chmod(0o700)
        with tempfile.NamedTemporaryFile("w", suffix=".pw") as pwfile:
            pwfile.write(self.config.superuser_password)
            pwfile.flush()
            if user:
                os.chown(pwfile.name, pwd.getpwnam(user).pw_uid, -1)
            result = subprocess.run(
                [
                    initdb, "-D", str(self.data_dir), "-U", "postgres",
                    f"--pwfile={pwfile.name}", "--auth-host=scram-sha-256",
                    "--auth-local=peer", "--encoding=UTF8", "--no-locale", "--no-sync",
                ],
                user=user,
                group=user,
                extra_groups=[] if user else None,
                capture_output=True,
                text=True,
            )  # fmt: skip
        if result.returncode != 0:
            raise StackError(f"initdb for {self.name} failed:\n{result.stderr}")

    async def probe(self) -> None:
        connection = await asyncpg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=self.config.superuser_password,
            database="postgres",
            timeout=5,  # a loaded machine forks a backend slowly
        )
        await connection.close()

    async def after_ready(self) -> None:
        """Create the service's role and database when they do not exist yet."""
        connection = await asyncpg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=self.config.superuser_password,
            database="postgres",
        )
        try:
            role = self.config.role
            if not await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                # CREATEDB lets the test fixtures make throw-away databases as this role.
                await connection.execute(f"CREATE ROLE \"{role}\" LOGIN CREATEDB PASSWORD '{role}'")
            database = self.config.database
            if not await connection.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", database
            ):
                await connection.execute(f'CREATE DATABASE "{database}" OWNER "{role}"')
        finally:
            await connection.close()


def _require_reachable(path: Path, user: str) -> None:
    check = subprocess.run(["test", "-w", str(path)], user=user, group=user, extra_groups=[])
    if check.returncode != 0:
        raise StackError(
            f"the {user} user cannot reach {path} (a parent folder is private); "
            f"set SHOPFLOW_STATE_DIR to a folder it can reach, or unset it"
        )
