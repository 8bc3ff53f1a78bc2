"""`launchgap db upgrade|check|downgrade` through the real command group, on both databases."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.config import get_settings

from ..conftest import DIALECTS, ScratchDatabases


@pytest.mark.parametrize("dialect", DIALECTS)
def test_db_commands(
    dialect: str, scratch_databases: ScratchDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAUNCHGAP_DATABASE_URL", scratch_databases.new_url(dialect))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        unmigrated = runner.invoke(cli, ["db", "check"])
        assert unmigrated.exit_code == 1
        assert "differ" in unmigrated.output

        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        migrated = runner.invoke(cli, ["db", "check"])
        assert migrated.exit_code == 0, migrated.output
        assert "agree" in migrated.output

        assert runner.invoke(cli, ["db", "downgrade", "base"]).exit_code == 0
        assert runner.invoke(cli, ["db", "check"]).exit_code == 1
    finally:
        get_settings.cache_clear()
