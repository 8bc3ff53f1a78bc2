"""Runtimes as the services see them: scanning a runtime's repository and storing its evidence.

- ``scan.py``: one scan from cursor to cursor, all or nothing (the scan engine itself lives in
  ``app/sources/runtimes/``), over ``fetch.py`` (open the repository, scan, read the head: nothing stored)
  and ``store.py`` (support keys and events inserted idempotently, retractions, key mapping, statements);
- ``verify.py``: hand-checked facts against a real history (``launchgap catalog verify``);
- ``stored_coverage.py``: which runtime × stage has been observed, until when (written by each scan);
- ``catalog_views.py``: read-only views of the runtime catalog (vendors, SKUs, key kinds, sources per stage);
- ``catalog_rows.py``: the catalog's rows kept in step with the code catalog;
- ``catalog_audit.py``: the catalog audit as a service.
"""
