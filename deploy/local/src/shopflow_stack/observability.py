"""The stack's trace backend and metrics server: Jaeger and Prometheus as local processes.

Jaeger v2 is built once from its Go module (deploy/tools), runs `observability/jaeger/
local.yaml` (OTLP over HTTP in, traces in memory, the query API out). Prometheus comes
from Debian's package; its configuration is written at each start from the stack's own
ports, so every app is scraped wherever SHOPFLOW_PORT_OFFSET put it, and it evaluates the
committed rules in observability/prometheus/rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from shopflow_stack.config import OBSERVABILITY_DIR, StackConfig
from shopflow_stack.install import ensure_command
from shopflow_stack.process import LocalProcess
from shopflow_stack.tools import ensure_tool

JAEGER_CONFIG = OBSERVABILITY_DIR / "jaeger" / "local.yaml"
RULES = OBSERVABILITY_DIR / "prometheus" / "rules"


class JaegerServer(LocalProcess):
    kind = "traces"

    def __init__(self, stack: StackConfig) -> None:
        super().__init__("jaeger", stack.observability.jaeger_port, stack)

    def prepare(self) -> None:
        ensure_tool("jaeger")

    def argv(self) -> list[str]:
        return [str(ensure_tool("jaeger")), "--config", str(JAEGER_CONFIG)]

    def environment(self) -> dict[str, str]:
        obs = self.stack.observability
        return {
            "JAEGER_QUERY_PORT": str(obs.jaeger_port),
            "JAEGER_QUERY_GRPC_PORT": str(obs.jaeger_grpc_port),
            "JAEGER_OTLP_PORT": str(obs.jaeger_otlp_port),
            "JAEGER_METRICS_PORT": str(obs.jaeger_metrics_port),
            "JAEGER_MAX_TRACES": str(obs.jaeger_max_traces),
        }

    async def probe(self) -> None:
        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(f"http://127.0.0.1:{self.port}/api/services")
            response.raise_for_status()


class PrometheusServer(LocalProcess):
    kind = "metrics"

    def __init__(self, stack: StackConfig) -> None:
        super().__init__("prometheus", stack.observability.prometheus_port, stack)

    @property
    def config_path(self) -> Path:
        return self.stack.state_dir / "prometheus" / "prometheus.yml"

    def prepare(self) -> None:
        ensure_command("prometheus", "prometheus")

    def write_config(self) -> bool:
        """Writes the scrape configuration for the stack as it is now; True if it changed."""
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        # JSON is YAML too: no YAML library needed to write it.
        wanted = json.dumps(scrape_config(self.stack), indent=2)
        if self.config_path.exists() and self.config_path.read_text() == wanted:
            return False
        self.config_path.write_text(wanted)
        return True

    def argv(self) -> list[str]:
        folder = self.config_path.parent
        self.write_config()
        return [
            ensure_command("prometheus", "prometheus"),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={folder / 'data'}",
            "--storage.tsdb.retention.time=3d",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",  # POST /-/reload after editing the rules
        ]

    async def probe(self) -> None:
        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(f"http://127.0.0.1:{self.port}/-/ready")
            response.raise_for_status()

    async def after_ready(self) -> None:
        """A running Prometheus scrapes the replicas `up` just started or stopped."""
        if self.write_config():
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(f"http://127.0.0.1:{self.port}/-/reload")
                response.raise_for_status()


def scrape_config(stack: StackConfig) -> dict[str, Any]:
    """Prometheus' configuration for this stack: one job per app (job = its name, as in
    compose and the rules; a target per replica), Jaeger and Prometheus itself, the rules."""
    obs = stack.observability
    jobs = [
        (app.name, [i.port for i in stack.instances() if i.app == app.name]) for app in stack.apps
    ]
    jobs += [("jaeger", [obs.jaeger_metrics_port]), ("prometheus", [obs.prometheus_port])]
    return {
        "global": {
            "scrape_interval": obs.scrape_interval,
            "evaluation_interval": obs.scrape_interval,
            "external_labels": {"stack": "local"},
        },
        "rule_files": [str(RULES / "*.yml")],
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [f"127.0.0.1:{p}" for p in ports]}]}
            for name, ports in jobs
        ],
    }
