"""WSGI entry point used by gunicorn (``detente serve``)."""

import logging
import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
application = get_wsgi_application()


def _warm_index() -> None:
    """Build the candidate index as the server starts, not at the first search or match:
    the names are sealed, so building means opening every identity (docs/keys.md)."""
    from django.db import connection

    from detente.matching.registry import registry_index

    try:
        registry_index()
    except Exception:  # a server that cannot build it still serves; the first use retries
        logging.getLogger(__name__).exception("could not build the candidate index at start")
    finally:
        connection.close()


if os.environ.get("DETENTE_WARM_INDEX", "1") != "0":
    threading.Thread(target=_warm_index, name="detente-warm-index", daemon=True).start()
