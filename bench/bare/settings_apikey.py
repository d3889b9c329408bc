"""The peer: djangorestframework-api-key in a bare project, as a user adopting it would set it
up (its README: `rest_framework` and `rest_framework_api_key` installed, `HasAPIKey` on the
view, DRF's defaults otherwise), and no middleware. It reads the keys bench/seed.py created
(`seed_peers`, with the library's own generator and hasher) in the benchmark's database, with
persistent connections like keyservice's (CONN_MAX_AGE=60), so only the code differs.
"""

import os

import environ

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_api_key",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare.urls_apikey"
DATABASES = {"default": environ.Env().db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = 60
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
