import pytest

from shopflow_payment.settings import PaymentSettings

pytestmark = pytest.mark.unit


def test_the_stack_environment_configures_the_provider_and_the_bus(monkeypatch):
    monkeypatch.setenv("PAYMENT_DATABASE_URL", "postgresql+asyncpg://payments@db/payments")
    monkeypatch.setenv("SHOPFLOW_PAYMENT_PROVIDER_URL", "http://127.0.0.1:8010")
    monkeypatch.setenv("SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("PAYMENT_PROVIDER_POLICY", '{"timeout_seconds": 2, "breaker_fail_max": 4}')
    # The simulator's own variables, which the stack exports to every app, are not ours.
    monkeypatch.setenv("PAYMENT_PROVIDER_DATABASE_URL", "postgresql+asyncpg://ledger@db/ledger")
    monkeypatch.setenv("PAYMENT_PROVIDER_PORT", "8010")

    settings = PaymentSettings()

    assert settings.provider_url == "http://127.0.0.1:8010"
    assert settings.database_url.endswith("/payments")
    assert settings.port == 8003
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.topics.payment_commands == "shopflow.payment.commands"
    policy = settings.provider_policy
    assert (policy.timeout_seconds, policy.breaker_fail_max) == (2, 4)
