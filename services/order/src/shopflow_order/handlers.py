"""The messages the order service consumes: the replies its saga waits for, each one fed to
the saga of the order it answers (see `orchestrator`)."""

from shopflow_kit.messaging import Handler, Message
from shopflow_order.orchestrator import Orchestrator


def saga_replies(orchestrator: Orchestrator) -> dict[type[Message], Handler]:
    """Every reply the saga waits for goes to `on_reply`."""
    return {reply: orchestrator.on_reply for reply in orchestrator.definition.expected_replies()}
