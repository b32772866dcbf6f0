"""The Python side of the rate limit: whose bucket, and what a refusal tells the client."""

import pytest

from shopflow_gateway.products_cache import cache_key
from shopflow_gateway.rate_limit import RateDecision, client_key, decision_from_reply

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("reply", "decision"),
    [
        ([1, 59, 0], RateDecision(True, 59, 0)),
        ([0, 0, 50], RateDecision(False, 0, 1)),  # never "retry in 0 s"
        ([0, 0, 1000], RateDecision(False, 0, 1)),
        ([0, 0, 1001], RateDecision(False, 0, 2)),  # rounded up: earlier would be refused
    ],
)
def test_the_scripts_reply_becomes_a_decision(reply, decision):
    assert decision_from_reply(reply) == decision


def test_a_token_holder_is_limited_by_subject_and_others_by_address():
    assert client_key("alice", "10.0.0.1") == "gateway:rate:customer:alice"
    assert client_key(None, "10.0.0.1") == "gateway:rate:ip:10.0.0.1"
    assert client_key(None, None) == "gateway:rate:ip:unknown"


def test_the_product_cache_key_ignores_parameter_order_only():
    assert cache_key("limit=2&after=A") == cache_key("after=A&limit=2")
    assert cache_key("sku=A&sku=B") == cache_key("sku=B&sku=A")
    assert cache_key("limit=2") != cache_key("limit=3")
