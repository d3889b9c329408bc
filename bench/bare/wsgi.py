"""WSGI entry of the bare projects (DJANGO_SETTINGS_MODULE: bench.bare.settings or
bench.bare.settings_apikey, set by bench/run.py)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
