"""ShopFlow's shared service kit: a service's `app.py` is one `create_app(...)` call.

The names below (`__init__.pyi` lists them, and where each comes from) are imported on
first use: a tool that needs one module, as the stack's CLI needs `shopflow_kit.identity`,
does not pay for FastAPI, SQLAlchemy, OpenTelemetry and aiokafka all at once (2½ s of CPU
for every `make` target that runs the CLI).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
