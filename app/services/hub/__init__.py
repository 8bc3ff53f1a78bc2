"""The Hub release watcher: retrieve → decide → apply.

- ``decide.py``: what a Hub listing item changes in a stored model (pure: values in, values out);
- ``apply.py``: matching listed models to rows, renames, writing the decided values, release families;
- ``poll.py``: one polling cycle over the watched publishers, with poll state and leases;
- ``webhooks.py``: recording and processing Hub webhook deliveries.
"""
