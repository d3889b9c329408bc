"""Key usage: when and where each key was last presented, and its uses per day.

- `counting.py`: the request path's side, no I/O. `usage_record` adds a use to this
  process's buffer; a thread per process flushes it to Redis (`usage_flush_local`).
- `collect.py`: the periodic task's side (apikeys.tasks.usage_collect_task). Redis →
  PostgreSQL in batches applied at most once (`usage_collect`), the "your old key is still
  in use" email, and the daily counts' pruner (`usage_prune`).
- `chart.py`: the home page's 30-day chart (bar geometry for a server-rendered SVG).

- `models.py`: its tables (`KeyUse`, `KeyUsageDay`, `UsageBatch`; registered through
  apikeys.models). Its reads are in apikeys.selectors.
"""
