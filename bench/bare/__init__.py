"""Bare Django projects for the benchmark's ceiling and peer (docs/performance.md): no
middleware, no sessions, each served by its own gunicorn with keyservice's gunicorn.conf.py."""
