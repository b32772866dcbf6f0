"""`python -m shopflow_gateway`: serve the gateway on GATEWAY_PORT (8080)."""

from shopflow_gateway.app import build
from shopflow_gateway.settings import GatewaySettings
from shopflow_kit.service_command import ServiceCommand

ServiceCommand(settings=GatewaySettings, create_app=build).main()
