"""Outbound HTTP to watch receivers: the address guard (SSRF, ``guard.py``) and a signed POST with hard
limits (``client.py``). Only this package sends requests to URLs that users gave LaunchGap.

Import from the module you need: the guard (checked when a watch is created) loads no HTTP client.
"""
