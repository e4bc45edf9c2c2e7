"""WSGI entry point used by gunicorn (``detente serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
application = get_wsgi_application()
