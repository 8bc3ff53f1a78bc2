"""LaunchGap: time from an open-weights model release to runtime and hardware support."""

__version__ = "0.1.0"
