"""The verifier: one credential query (credentials.py), what it reads (sources.py), its answers
cached by core.leasedcache (credentials.py `credential_lookup_cached`), and its tests."""
