"""The messages the order service consumes: the replies its saga waits for, each one fed to
the saga of the order it answers (see `orchestrator`)."""

from shopflow_kit.messaging import MessageHandlers
from shopflow_order.orchestrator import Orchestrator


def saga_replies(orchestrator: Orchestrator) -> MessageHandlers:
    """Every reply the saga waits for goes to `on_reply`."""
    handlers = MessageHandlers()
    for reply in orchestrator.definition.expected_replies():
        handlers.add(reply, orchestrator.on_reply)
    return handlers
