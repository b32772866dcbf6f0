"""The whole local stack: start what is not running, stop what we started, report health."""

from __future__ import annotations

import asyncio
import fcntl
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from shopflow_stack.apps import AppProcess
from shopflow_stack.config import AppConfig, Layout, StackConfig, load
from shopflow_stack.kafka import KafkaBroker
from shopflow_stack.observability import JaegerServer, PrometheusServer
from shopflow_stack.postgres import PostgresServer
from shopflow_stack.process import LocalProcess, ProcessState, StackError, port_is_free
from shopflow_stack.redis import RedisServer
from shopflow_stack.toxiproxy import ToxiproxyServer

# What the stack writes in its state folder; `clean` deletes these and nothing else, so
# that SHOPFLOW_STATE_DIR pointing at a shared folder never loses anything of anyone's.
STATE_ENTRIES = (
    "postgres", "kafka", "redis", "toxiproxy", "prometheus", "logs", "run", "chaos",
    "stack.lock", Layout.FILE,
)  # fmt: skip


@dataclass(frozen=True)
class StatusRow:
    name: str
    kind: str
    pid: int | None
    port: int
    health: str  # healthy | unhealthy: <why> | dead | stopped
    log: str


class Stack:
    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or load()
        self.postgres = {pg.service: PostgresServer(pg, self.config) for pg in self.config.postgres}
        self.redis = RedisServer(self.config)
        self.kafka = KafkaBroker(self.config)
        self.jaeger = JaegerServer(self.config)
        self.prometheus = PrometheusServer(self.config)
        self.toxiproxy = ToxiproxyServer(self.config)
        self.apps = [AppProcess(app, self.config) for app in self.config.instances()]
        self.surplus = [AppProcess(app, self.config) for app in self._surplus_replicas()]

    @property
    def infrastructure(self) -> list[LocalProcess]:
        """What the apps need, started before them: toxiproxy only when it routes them."""
        routed = [self.toxiproxy] if self.config.toxiproxy.routes_apps else []
        return [*self.postgres.values(), self.redis, self.kafka, *routed]

    @property
    def observability(self) -> list[LocalProcess]:
        """Jaeger and Prometheus: started with the stack unless SHOPFLOW_OBSERVABILITY=0."""
        return [self.jaeger, self.prometheus]

    @property
    def processes(self) -> list[LocalProcess]:
        """Every process `up` starts; `get` also knows the observability ones when left out."""
        included = self.observability if self.config.observability.enabled else []
        return [*self.infrastructure, *included, *self.apps]

    @property
    def jaeger_url(self) -> str:
        return f"http://127.0.0.1:{self.jaeger.port}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus.port}"

    def _known(self) -> list[LocalProcess]:
        known = [*self.postgres.values(), self.redis, self.kafka, self.toxiproxy]
        return [*known, *self.observability, *self.apps, *self.surplus]

    def instances(self, name: str) -> list[LocalProcess]:
        """The processes of `name`: an app's instances (`order`, `order-2`), or the one."""
        replicas = [app for app in self.apps if app.config.app == name]
        return list(replicas) or [self.get(name)]

    def _surplus_replicas(self) -> list[AppConfig]:
        """Replicas a bigger `replicas` started that this configuration has no room for:
        `up` stops them, `down` too. Found by their pid files."""
        wanted = {app.name for app in self.config.instances()}
        run = self.config.state_dir / "run"
        surplus = []
        for app in (a for a in self.config.apps if a.scalable):
            numbers = []
            for pid_file in run.glob(f"{app.name}-*.pid"):
                number = pid_file.stem.removeprefix(f"{app.name}-")
                if number.isdigit() and f"{app.name}-{number}" not in wanted:
                    numbers.append(int(number))
            surplus += self.config.replicas_of(app, sorted(numbers))
        return surplus

    def get(self, name: str) -> LocalProcess:
        for process in self._known():
            if process.name == name:
                return process
        known = ", ".join(p.name for p in self._known())
        raise StackError(f"no process named {name!r}; the stack has: {known}")

    async def up(self, names: Iterable[str] | None = None) -> list[LocalProcess]:
        """Start every process (or the named ones) not already running; return those started.

        An app running from other code or configuration than a start now would use is
        restarted (and said so on stderr); it is not among those returned, which are the
        ones that were not running before.
        """
        wanted = [self.get(n) for n in names] if names is not None else self.processes
        with self._lock():
            if names is None:
                self.config.layout.save(self.config.state_dir)
                for surplus in self.surplus:  # scaled down: the replicas beyond the count go
                    surplus.stop()
                if not self.config.toxiproxy.routes_apps:
                    self.toxiproxy.stop()  # the apps connect directly again
            infra = [p for p in wanted if not isinstance(p, AppProcess)]
            apps = [p for p in wanted if isinstance(p, AppProcess)]
            started = await self._start(infra)
            restarted = self._stop_stale(apps)
            started += [p for p in await self._start(apps) if p not in restarted]
        return started

    def _stop_stale(self, apps: Sequence[AppProcess]) -> list[AppProcess]:
        stale = []
        for app in apps:
            app.extra_env = {}  # `up` starts an app as configured, whatever ran it last
            why = app.staleness()
            if why is not None:
                print(f"{app.name}: restarting: {why}", file=sys.stderr)
                app.stop()
                stale.append(app)
        return stale

    async def _start(self, processes: Sequence[LocalProcess]) -> list[LocalProcess]:
        todo = [p for p in processes if p.state() is not ProcessState.RUNNING]
        # Installs, initdb and storage formatting are blocking and independent: overlap them.
        await asyncio.gather(*(asyncio.to_thread(p.prepare) for p in todo))
        for process in todo:
            process.spawn()
        await asyncio.gather(*(_await_ready(p) for p in todo))
        await asyncio.gather(*(p.after_ready() for p in processes))
        return todo

    def down(self, names: Iterable[str] | None = None) -> list[str]:
        """Stop our processes by pid, the apps first; return the ports something else still
        holds. The processes of a tier stop together: a stop is mostly a wait for an exit
        (a Kafka's controlled shutdown, an app's drain), and a loaded machine lengthens each."""
        wanted = [self.get(n) for n in names] if names is not None else self._known()
        apps = [p for p in wanted if isinstance(p, AppProcess)]
        with self._lock():
            for tier in (apps, [p for p in wanted if p not in apps]):
                _stop_together(tier)
        ports = [p.port for p in wanted]
        if self.kafka in wanted:
            ports += [self.config.kafka.controller_port, self.config.toxiproxy.kafka_listener_port]
        return [f"127.0.0.1:{port}" for port in ports if not port_is_free(port)]

    def clean(self) -> list[str]:
        """Stop everything and delete the state the stack made; return ports still held."""
        held = self.down()
        if held:
            return held
        state = self.config.state_dir
        for made in STATE_ENTRIES:
            path = state / made
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        if state.is_dir() and not any(state.iterdir()):
            state.rmdir()  # a folder of its own (the default or /var/tmp's): gone too
        link = self.config.default_state_dir
        if link.is_symlink() and not link.exists():
            link.unlink()
        return []

    async def restart(self, name: str, env: Mapping[str, str] | None = None) -> None:
        """Stop and start one process; an app gets `env` on top of its own for this start
        (`up` later restarts it as configured)."""
        await self.restart_together([name], env)

    async def restart_together(
        self, names: Sequence[str], env: Mapping[str, str] | None = None
    ) -> None:
        """`restart` for several processes, their starts overlapping."""
        await asyncio.to_thread(self.down, names)
        processes = [self.get(name) for name in names]
        with self._lock():
            for process in processes:
                if isinstance(process, AppProcess):
                    process.extra_env = dict(env or {})
                elif env:
                    raise StackError(f"{process.name} is not an app: its environment is its own")
            await self._start(processes)

    async def status(self) -> list[StatusRow]:
        shown = [p for p in self._known() if p in self.processes or p.pid() is not None]
        return list(await asyncio.gather(*(_status(p) for p in shown)))

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One `up`/`down` at a time per state folder."""
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.config.state_dir / "stack.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield


def _stop_together(processes: Sequence[LocalProcess]) -> None:
    if processes:
        with ThreadPoolExecutor(max_workers=len(processes)) as pool:
            list(pool.map(lambda process: process.stop(), processes))  # raises what a stop raised


async def _await_ready(process: LocalProcess) -> None:
    deadline = time.monotonic() + process.ready_timeout
    while True:
        if process.pid() is None:
            raise StackError(
                f"{process.name} exited while starting; the end of {process.log_path}:\n"
                f"{process.log_tail()}"
            )
        try:
            await process.probe()
            return
        except Exception as error:
            if time.monotonic() > deadline:
                raise StackError(
                    f"{process.name} not ready after {process.ready_timeout:.0f}s ({error!r}); "
                    f"see {process.log_path}"
                ) from error
        await asyncio.sleep(0.2)


async def _status(process: LocalProcess) -> StatusRow:
    state = process.state()
    health: str = state.value
    if state is ProcessState.RUNNING:
        try:
            await asyncio.wait_for(process.probe(), timeout=10)
            health = "healthy"
        except Exception as error:
            health = f"unhealthy: {error!r}"[:60]
        if isinstance(process, AppProcess) and process.staleness():
            health = "stale: `make up` restarts it"
    return StatusRow(
        process.name, process.kind, process.pid(), process.port, health, str(process.log_path)
    )
