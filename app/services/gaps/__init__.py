"""Launch gaps: support time − release time, per (release, runtime | vendor view | SKU, stage).

- ``decide.py``: the pure decision (statuses, key novelty, rows), with ``now`` passed in;
- ``load.py``: its inputs from the database (releases and their keys, the earliest support);
- ``refresh.py``: keeps the materialised ``gap_rows`` in step, writing only differences;
- ``query.py``: reads them back with the filters in SQL;
- ``record.py``: the mapping between a ``GapRow`` and its table row, derived from the row's shape.
"""
