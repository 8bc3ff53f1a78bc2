"""Model releases: when a model became public and from which source, its family, its publisher.

- ``rules.py``: the pure release rules (original or derivative, families, the release-time ranking);
- ``facts.py``: ``launchgap import releases`` (dated release facts);
- ``publishers.py``: the watched publishers (catalog data from a CSV).
"""
