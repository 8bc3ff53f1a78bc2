"""Watches: a receiver URL and a gap filter; LaunchGap calls the URL when a watched cell gains support.

``manage`` creates, lists and deletes watches (per API token); ``outbox`` writes the deliveries a gap
refresh owes, in the refresh's own transaction; ``sender`` claims due deliveries and sends them signed,
retrying with backoff. See docs/api.md ("Watches") for the receiver's side.
"""
