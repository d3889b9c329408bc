# keyservice: one image for the web server (gunicorn), the Celery worker and beat, and the
# one-shot migrate job (see docker-compose.yml). Secrets come from the environment at run
# time; with DJANGO_DEBUG off (the default) the process refuses to start without them.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=keyservice.settings

RUN groupadd --system --gid 10001 keyservice \
    && useradd --system --uid 10001 --gid keyservice --home-dir /home/keyservice \
        --create-home --shell /usr/sbin/nologin keyservice

WORKDIR /app

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root (read-only for the service user); only var/ is writable
# (celery beat's schedule file).
COPY . .
RUN mkdir -p /app/var && chown keyservice:keyservice /app/var

# Static files are collected at build time and served by WhiteNoise. Settings validate the
# secrets when DJANGO_DEBUG is off, so this one command gets throwaway build-only values.
# They exist only in this RUN's environment: never in an ENV layer or in the final image.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    DATABASE_URL=postgres://build-only@127.0.0.1:9/never-connected \
    KEYSERVICE_ENCRYPTION_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \
    KEYSERVICE_DIGEST_SECRET=build-only-digest-not-a-secret-0123456789abcdefghij \
    python manage.py collectstatic --noinput

USER keyservice

EXPOSE 8000

# /healthz checks the database connection. The Host header is the first allowed host, so
# the check passes whatever DJANGO_ALLOWED_HOSTS holds (a wildcard falls back to localhost).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request as u; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"

CMD ["gunicorn", "--config", "gunicorn.conf.py", "keyservice.wsgi:application"]
