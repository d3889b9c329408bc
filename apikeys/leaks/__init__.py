"""Keys reported leaked: three ways in, one revocation.

- `services.py`: the revocation every reporter ends in (`apikey_revoke_leaked` for plaintext
  strings, `apikey_revoke_leaked_digests` for the public reports' digests): revoke, record a
  `leak_revoked` key event, queue the owner's notice, in one transaction.
- `github_scanning.py`: GitHub secret scanning's signing keys and the signature check.
- `reports.py`: the public revocation endpoint's reports, buffered in the broker's Redis and
  drained in batches (`leak_report_enqueue`, `leak_reports_drain`).
- `routing.py`: the Celery router that puts the drain on its own queue.

The HTTP side is api/leak_views.py; the Celery tasks are in apikeys.tasks (their names do not
change with the modules).
"""
