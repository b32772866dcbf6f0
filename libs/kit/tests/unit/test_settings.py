"""ServiceSettings: production unless told otherwise, and then no placeholder secrets."""

import pytest
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from shopflow_kit import ServiceSettings

pytestmark = pytest.mark.unit


class PaymentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPFLOW_KIT_TEST_PAYMENT_")

    service_name: str = "payment"
    port: int = 8003
    psp_api_key: SecretStr = SecretStr("dev-psp-key")
    webhook_secret: SecretStr | None = None
    kafka_bootstrap_servers: str = Field(
        "localhost:9092", validation_alias="SHOPFLOW_KIT_TEST_KAFKA_BOOTSTRAP_SERVERS"
    )


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    """As on a machine nobody configured: a shell of the local stack has it set."""
    monkeypatch.delenv("SHOPFLOW_ENVIRONMENT", raising=False)


def test_without_an_environment_a_service_is_production_and_refuses_placeholders():
    with pytest.raises(ValidationError) as refused:
        PaymentSettings()

    assert "SHOPFLOW_ENVIRONMENT is 'production'" in str(refused.value)
    assert PaymentSettings(psp_api_key=SecretStr("k-9f2c71")).environment == "production"


def test_one_unprefixed_variable_sets_the_environment_of_every_service(monkeypatch):
    monkeypatch.setenv("SHOPFLOW_ENVIRONMENT", "development")

    assert PaymentSettings().environment == "development"


@pytest.mark.parametrize("placeholder", ["", "changeme", "dev-psp-key", "insecure-abc"])
@pytest.mark.parametrize("environment", ["test", "production"])
def test_placeholder_secret_is_refused_outside_development(placeholder, environment):
    with pytest.raises(ValidationError) as refused:
        PaymentSettings(environment=environment, psp_api_key=SecretStr(placeholder))

    message = str(refused.value)
    assert "psp_api_key" in message
    assert "SHOPFLOW_KIT_TEST_PAYMENT_PSP_API_KEY" in message
    assert placeholder == "" or placeholder not in message


def test_optional_secret_holding_a_placeholder_is_refused(monkeypatch):
    monkeypatch.setenv("SHOPFLOW_KIT_TEST_PAYMENT_PSP_API_KEY", "k-9f2c71")
    monkeypatch.setenv("SHOPFLOW_KIT_TEST_PAYMENT_WEBHOOK_SECRET", "ChangeMe")

    with pytest.raises(ValidationError, match="SHOPFLOW_KIT_TEST_PAYMENT_WEBHOOK_SECRET"):
        PaymentSettings()


def test_placeholder_secret_is_allowed_in_development():
    settings = PaymentSettings(environment="development")

    assert settings.psp_api_key.get_secret_value() == "dev-psp-key"


def test_real_secret_passes_in_production(monkeypatch):
    monkeypatch.setenv("SHOPFLOW_ENVIRONMENT", "production")
    monkeypatch.setenv("SHOPFLOW_KIT_TEST_PAYMENT_PSP_API_KEY", "k-9f2c71")
    monkeypatch.setenv("SHOPFLOW_KIT_TEST_PAYMENT_LOG_LEVEL", "debug")
    monkeypatch.setenv("SHOPFLOW_KIT_TEST_KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092")

    settings = PaymentSettings()

    assert settings.environment == "production"
    assert settings.log_level == "DEBUG"
    assert settings.kafka_bootstrap_servers == "kafka-1:9092"


def test_trusted_proxies_are_none_unless_configured():
    assert PaymentSettings(environment="development").trusted_proxies == []


def test_trusted_proxies_are_a_comma_separated_list_of_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("SHOPFLOW_KIT_TEST_PAYMENT_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7")

    settings = PaymentSettings(environment="development")

    assert settings.trusted_proxies == ["10.0.0.0/8", "192.168.1.7"]


def test_a_trusted_proxy_that_is_no_address_stops_the_service(monkeypatch):
    monkeypatch.setenv("SHOPFLOW_KIT_TEST_PAYMENT_TRUSTED_PROXIES", "10.0.0.0/8, the-balancer")

    with pytest.raises(ValidationError, match="the-balancer"):
        PaymentSettings(environment="development")
