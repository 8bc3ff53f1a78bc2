"""Outbound HTTP to watch receivers: the address guard (SSRF) and a signed POST with hard limits.

Only this package sends requests to URLs that users gave LaunchGap.
"""

from app.sources.outbound.client import PostResult, post_json
from app.sources.outbound.guard import RefusedTarget, Target, check_target, resolve_target

__all__ = ["PostResult", "RefusedTarget", "Target", "check_target", "post_json", "resolve_target"]
