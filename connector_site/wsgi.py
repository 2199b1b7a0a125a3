"""WSGI entry point, for tools that need one; production runs daphne (asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_site.settings")

application = get_wsgi_application()
