"""Reliable messaging over Kafka: envelope, transactional outbox and relay, idempotent consumers.

A service joins the bus with `wiring.messaging_jobs(...)`; see docs/messaging.md. The names
of `__init__.pyi` are imported on first use (see `shopflow_kit`).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
