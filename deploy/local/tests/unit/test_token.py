"""`shopflow-stack token`: a service token the stack's services accept, for calling one directly."""

import pytest

from shopflow_kit.identity import Caller, ServiceTokens
from shopflow_kit.settings import SERVICE_TOKEN_SECRET_VARIABLE
from shopflow_stack.cli import main
from shopflow_stack.config import DEVELOPMENT_SERVICE_TOKEN_SECRET

pytestmark = pytest.mark.unit


def test_the_token_is_signed_with_the_stack_s_key_for_one_service(monkeypatch, capsys):
    monkeypatch.delenv(SERVICE_TOKEN_SECRET_VARIABLE, raising=False)

    assert main(["token", "inventory"]) == 0

    token = capsys.readouterr().out.strip()
    verifier = ServiceTokens(DEVELOPMENT_SERVICE_TOKEN_SECRET, issuer="inventory")
    assert verifier.verify(token, "inventory") == Caller("admin", frozenset({"customer", "admin"}))


def test_an_exported_key_a_customer_and_roles_can_be_chosen(monkeypatch, capsys):
    key = "exported-key-of-another-deployment-0123456789"
    monkeypatch.setenv(SERVICE_TOKEN_SECRET_VARIABLE, key)

    main(["token", "order", "--customer", "alice", "--role", "customer"])

    token = capsys.readouterr().out.strip()
    caller = ServiceTokens(key, issuer="order").verify(token, "order")
    assert caller == Caller("alice", frozenset({"customer"}))
