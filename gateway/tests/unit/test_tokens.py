"""Issuing and verifying access tokens: what makes a token one the gateway accepts."""

import time

import jwt
import pytest

from shopflow_gateway.tokens import ALGORITHM, InvalidTokenError, TokenAuthority
from shopflow_kit import Caller

pytestmark = pytest.mark.unit

SECRET = "unit-test-secret-0123456789abcdef"
ALICE = Caller("alice", frozenset({"customer"}))


def authority(secret=SECRET, clock=None, **overrides):
    options = {"issuer": "shopflow-gateway", "audience": "shopflow-api", "ttl_seconds": 900}
    if clock is not None:
        options["clock"] = clock
    return TokenAuthority(secret, **(options | overrides))


def test_an_issued_token_verifies_as_its_caller():
    issued = authority().issue(ALICE)

    assert authority().verify(issued.access_token) == ALICE
    assert issued.expires_in == 900


@pytest.mark.parametrize(
    ("verifier", "reason"),
    [
        (authority(secret="another-secret-0123456789abcdefgh"), "Signature verification failed"),
        (authority(audience="another-api"), "(?i)audience"),
        (authority(issuer="someone-else"), "(?i)issuer"),
    ],
)
def test_a_token_of_another_key_audience_or_issuer_is_refused(verifier, reason):
    token = authority().issue(ALICE).access_token

    with pytest.raises(InvalidTokenError, match=reason):
        verifier.verify(token)


def test_an_expired_token_is_refused():
    issued_an_hour_ago = authority(clock=lambda: time.time() - 3600).issue(ALICE)

    with pytest.raises(InvalidTokenError, match="expired"):
        authority().verify(issued_an_hour_ago.access_token)


def test_an_unsigned_token_is_refused():
    claims = jwt.decode(authority().issue(ALICE).access_token, options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")

    with pytest.raises(InvalidTokenError):
        authority().verify(unsigned)


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"sub": None}, "sub"), ({"roles": "admin"}, "roles"), ({"sub": ""}, "subject")],
)
def test_a_token_without_a_usable_subject_or_roles_is_refused(change, reason):
    claims = jwt.decode(
        authority().issue(ALICE).access_token, SECRET, [ALGORITHM], audience="shopflow-api"
    )
    claims = {k: v for k, v in (claims | change).items() if v is not None}

    with pytest.raises(InvalidTokenError, match=reason):
        authority().verify(jwt.encode(claims, SECRET, ALGORITHM))
