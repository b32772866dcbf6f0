"""Apache Kafka as one KRaft node (broker and controller in one JVM), jars from Maven Central."""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from shopflow_contracts.topics import ALL_TOPICS
from shopflow_kit.messaging.topic_admin import ensure_topics
from shopflow_stack.config import KAFKA_LOG4J, StackConfig
from shopflow_stack.install import ensure_java, kafka_jars
from shopflow_stack.process import LocalProcess, StackError

_NODE_ID = 1


def new_cluster_id(random_bytes: Callable[[], bytes] = lambda: uuid.uuid4().bytes) -> str:
    """A KRaft cluster id: 16 random bytes in URL-safe base64, drawn again when it starts
    with "-" as Kafka's own Uuid.randomUuid does, since the storage tool would read such
    an id as an option (1 fresh state in 64 failed to format)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(random_bytes()).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


class KafkaBroker(LocalProcess):
    kind = "kafka"
    stop_timeout = 60.0  # a controlled shutdown hands leadership over and flushes logs
    ready_timeout = 120.0

    def __init__(self, stack: StackConfig) -> None:
        super().__init__("kafka", stack.kafka.port, stack)
        self.config = stack.kafka

    @property
    def home(self) -> Path:
        return self.stack.state_dir / "kafka"

    @property
    def properties_path(self) -> Path:
        return self.home / "server.properties"

    def properties(self) -> dict[str, object]:
        port, controller = self.config.port, self.config.controller_port
        # PROXIED: for clients that come through toxiproxy, told to stay on its proxy.
        proxied = self.stack.toxiproxy.kafka_listener_port
        via_proxy = self.stack.toxiproxy.proxy_port(port)
        return {
            "process.roles": "broker,controller",
            "node.id": _NODE_ID,
            "controller.quorum.voters": f"{_NODE_ID}@127.0.0.1:{controller}",
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller},"
                f"PROXIED://127.0.0.1:{proxied}"
            ),
            "advertised.listeners": (
                f"PLAINTEXT://127.0.0.1:{port},PROXIED://127.0.0.1:{via_proxy}"
            ),
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": (
                "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT"
            ),
            "log.dirs": self.home / "data",
            "num.partitions": self.config.partitions,
            # Topics are created on purpose (by the stack or a test), never by a typo.
            "auto.create.topics.enable": "false",
            # A single node: internal topics cannot have more replicas than that.
            "offsets.topic.replication.factor": 1,
            # Consumer offsets in 5 partitions, not 50: a restarted broker loads each one
            # before it serves, and one laptop's groups do not need 50 coordinators.
            "offsets.topic.num.partitions": 5,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "group.initial.rebalance.delay.ms": 0,
            # Restarted after a crash, the broker cannot register again until the
            # controller has given up on its old session: 9 s by default, 3 s here.
            "broker.session.timeout.ms": 3000,
            "broker.heartbeat.interval.ms": 1000,
        }

    @cached_property
    def jars(self) -> Path:
        return kafka_jars(self.config.version)

    @cached_property
    def java(self) -> str:
        return ensure_java()

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.properties_path.write_text(
            "".join(f"{key}={value}\n" for key, value in self.properties().items())
        )
        if (self.home / "data" / "meta.properties").exists():
            return
        result = subprocess.run(
            [*self._java_argv(), "kafka.tools.StorageTool", "format",
             "-t", new_cluster_id(), "-c", str(self.properties_path)],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise StackError(f"formatting Kafka storage failed:\n{result.stderr[-2000:]}")

    def _java_argv(self) -> list[str]:
        return [
            self.java,
            *self.config.heap,
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_LOG4J}",
            "-cp",
            f"{self.jars}/*",
        ]

    def argv(self) -> list[str]:
        return [*self._java_argv(), "kafka.Kafka", str(self.properties_path)]

    def admin(self) -> AIOKafkaAdminClient:
        return AIOKafkaAdminClient(
            bootstrap_servers=self.config.bootstrap_servers, request_timeout_ms=5000
        )

    async def probe(self) -> None:
        admin = self.admin()
        await admin.start()
        try:
            await admin.list_topics()
        finally:
            await admin.close()

    async def after_ready(self) -> None:
        # Those that do not exist yet; an existing topic is left as it is.
        await ensure_topics(self.config.bootstrap_servers, ALL_TOPICS, self.config.partitions)
