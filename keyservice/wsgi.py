import os

from django.core.wsgi import get_wsgi_application

from core.wsgi import drop_unusable_charset

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyservice.settings")
# Before Django builds the request: a hostile `charset=` would crash it (core.wsgi).
application = drop_unusable_charset(get_wsgi_application())
