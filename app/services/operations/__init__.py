"""Running things: the watcher loop, first-start bootstrap, per-source poll state and leases, the failure
banner's grouping, readiness and the database-backed metrics gauges (docs/operations.md).

The workflows themselves (scan → refresh, poll → refresh, …) live in ``app/services/jobs.py``.
"""
