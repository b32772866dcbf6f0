"""Which failpoints an environment arms, and that production arms none."""

import pytest

from shopflow_kit.failpoints import FailpointsRefusedError, armed_failpoints, failpoint

pytestmark = pytest.mark.unit


def test_nothing_is_armed_by_default():
    assert armed_failpoints({}) == {}
    assert armed_failpoints({"SHOPFLOW_FAILPOINTS": " "}) == {}
    failpoint("relay.after-publish")  # unarmed: returns at once


@pytest.mark.parametrize("environment", ["development", "test"])
def test_a_test_or_development_process_arms_the_failpoints_it_is_given(environment):
    environ = {
        "SHOPFLOW_FAILPOINTS": "relay.after-publish=pause, consumer.before-commit=pause",
        "SHOPFLOW_ENVIRONMENT": environment,
    }

    assert armed_failpoints(environ) == {
        "relay.after-publish": "pause",
        "consumer.before-commit": "pause",
    }


@pytest.mark.parametrize("environ", [{}, {"SHOPFLOW_ENVIRONMENT": "production"}])
def test_production_refuses_failpoints(environ):
    with pytest.raises(FailpointsRefusedError, match="for tests"):
        armed_failpoints({**environ, "SHOPFLOW_FAILPOINTS": "relay.after-publish=pause"})


@pytest.mark.parametrize("spec", ["relay.after-publish", "relay.after-publish=crash", "=pause"])
def test_a_malformed_failpoint_is_refused_with_the_form_expected(spec):
    with pytest.raises(ValueError, match="is not name=action"):
        armed_failpoints({"SHOPFLOW_FAILPOINTS": spec, "SHOPFLOW_ENVIRONMENT": "test"})
