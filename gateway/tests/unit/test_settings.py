"""The gateway's settings: no placeholder signing key outside development."""

import pytest
from pydantic import ValidationError

from shopflow_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit

URLS = {
    "order_url": "http://order",
    "inventory_url": "http://inventory",
    "payment_url": "http://payment",
    "notification_url": "http://notification",
    "redis_url": "redis://redis",
}


def test_with_no_environment_at_all_the_placeholder_jwt_secret_is_refused(monkeypatch):
    monkeypatch.delenv("SHOPFLOW_ENVIRONMENT", raising=False)

    with pytest.raises(ValidationError, match="GATEWAY_JWT_SECRET"):
        GatewaySettings(**URLS)


def test_the_placeholder_jwt_secret_is_refused_outside_development():
    with pytest.raises(ValidationError, match="GATEWAY_JWT_SECRET"):
        GatewaySettings(**URLS, environment="production")


def test_a_real_secret_is_accepted_and_never_shown():
    settings = GatewaySettings(**URLS, environment="production", jwt_secret="s3cr3t-" * 6)

    assert "s3cr3t" not in repr(settings)
    assert settings.upstream_client == "aiohttp"


def test_a_short_jwt_secret_is_refused():
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        GatewaySettings(**URLS, jwt_secret="too-short")


def test_the_provider_fault_switches_are_never_on_in_production():
    secret = "s3cr3t-" * 6
    provider = {"payment_provider_url": "http://provider", "jwt_secret": secret}

    assert not GatewaySettings(**URLS, **provider, environment="production").provider_faults_enabled
    assert GatewaySettings(**URLS, **provider, environment="development").provider_faults_enabled
    assert not GatewaySettings(**URLS, environment="development").provider_faults_enabled
