"""What the live console reads besides the services: the trace backend, and the payment
provider simulator's fault switches. Each is a kit `Upstream` (timeouts, retries, a
breaker), or None where this gateway is not configured for it (see settings)."""

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from shopflow_gateway.settings import GatewaySettings
from shopflow_kit import Upstream


@dataclass(frozen=True)
class ConsoleBackends:
    traces: Upstream | None
    provider: Upstream | None

    async def aclose(self) -> None:
        for backend in (self.traces, self.provider):
            if backend is not None:
                await backend.aclose()


def connect_console_backends(
    settings: GatewaySettings, registry: CollectorRegistry
) -> ConsoleBackends:
    policy = settings.upstream_policy
    traces = provider = None
    if settings.traces_url:
        traces = Upstream("traces", settings.traces_url, policy, registry=registry)
    if settings.provider_faults_enabled and settings.payment_provider_url:
        provider = Upstream(
            "payment-provider", settings.payment_provider_url, policy, registry=registry
        )
    return ConsoleBackends(traces=traces, provider=provider)
