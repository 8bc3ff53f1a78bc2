"""Snapshots: runtime evidence, coverage and release facts in one file (``docs/data.md``).

``format`` reads and writes the file, ``exchange`` exports a database to it and imports it additively,
``build`` makes one from repository copies, ``seed`` imports the bundled one into an empty database.
"""

from app.services.snapshot.format import Snapshot, SnapshotError, read_snapshot, write_snapshot

__all__ = ["Snapshot", "SnapshotError", "read_snapshot", "write_snapshot"]
