"""The ASGI entry point for uvicorn and other servers: ``needleplan.asgi:app``."""

from needleplan.main import create_app

app = create_app()
