"""The ASGI entry point for uvicorn and other servers: ``needleplan.asgi:app``."""

import gc

from needleplan.main import create_app

app = create_app()

# What is built by now (modules, the app, its routes and schemas) lives as long as the process.
# Frozen, the collector's full passes skip it: they otherwise walk some 185,000 objects and
# pause every request in flight for 105-170 ms each time (docs/performance.md#garbage-collection).
# Garbage first, so none of it is kept for good.
gc.collect()
gc.freeze()
