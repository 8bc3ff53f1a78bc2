"""The answers built on the materialised gap rows (docs/api.md, "Answers built on the gap rows").

- ``stats.py``: launch-gap statistics (plain quantiles, Kaplan–Meier with pending gaps censored);
- ``lags.py``: propagation lags between runtimes and lags between stages of one runtime;
- ``early_access.py``: which publishers give which vendors support before (or on) release day;
- ``latest.py``: the latest notable releases, each with its earliest support per vendor (the home page);
- ``requirements.py``: "which version do I need?" per runtime.
"""
