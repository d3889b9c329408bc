"""Retention: how many days of history the daily prune (and `manage.py prune_history`) keeps.

Only finished rows are pruned: pending and failed emails and deliveries are always kept. The
lifecycle deliveries' retention lives with the lifecycle topic.
"""

from keyservice.settings.env import env

# --- Retention (the daily history-prune task and `manage.py prune_history`) ----------------
# Key audit events older than this many days are deleted.
KEYSERVICE_AUDIT_RETENTION_DAYS = env.int("KEYSERVICE_AUDIT_RETENTION_DAYS", default=365)
# Sent and skipped outbox emails (pending and failed ones are always kept).
KEYSERVICE_OUTBOX_RETENTION_DAYS = env.int("KEYSERVICE_OUTBOX_RETENTION_DAYS", default=30)
# Delivered webhook deliveries and their attempts (pending and failed ones are always kept).
KEYSERVICE_WEBHOOK_RETENTION_DAYS = env.int("KEYSERVICE_WEBHOOK_RETENTION_DAYS", default=30)
# Daily key usage counts (the dashboard shows 30 days).
KEYSERVICE_USAGE_RETENTION_DAYS = env.int("KEYSERVICE_USAGE_RETENTION_DAYS", default=90)
