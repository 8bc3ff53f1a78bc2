"""One builder for the rows tests put in a database by hand: publishers and their models (what the Hub
watcher would store), runtimes, support keys and events (what a scan would store), then the gap rows and
an app serving them over the test's session at a fixed ``now``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import get_now, get_session
from app.domain.vocabulary import EventKind, KeyKind, Stage
from app.main import create_app
from app.models import Model, Publisher, Runtime, SupportEvent, SupportKey
from app.services.gaps.refresh import refresh_gaps


class Seed:
    """Rows added to ``session`` (flushed, never committed: the test's transaction is rolled back)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._publishers: dict[str, Publisher] = {}

    def publisher(self, org: str, *, name: str | None = None) -> Publisher:
        """The publisher ``org`` (created on first use)."""
        publisher = self._publishers.get(org)
        if publisher is None:
            publisher = Publisher(hub_org=org, name=name or org.title(), country="US")
            self.session.add(publisher)
            self.session.flush()
            self._publishers[org] = publisher
        return publisher

    def model(
        self,
        repo_id: str,
        *,
        release_at: datetime,
        architecture: str,
        model_type: str,
        source: str | None = "observed",
        published: bool = True,
        **columns: Any,
    ) -> Model:
        """A model of the publisher its repo id names (none when not ``published`` by a known one)."""
        model = Model(
            repo_id=repo_id,
            publisher_id=self.publisher(repo_id.split("/", 1)[0]).id if published else None,
            release_at=release_at,
            release_at_source=source,
            architectures=[architecture],
            model_type=model_type,
            **columns,
        )
        self.session.add(model)
        self.session.flush()
        return model

    def runtime(self, name: str, **columns: Any) -> Runtime:
        """The runtime ``name`` (a catalog row when the catalog was synced, else created)."""
        runtime = self.session.scalar(select(Runtime).where(Runtime.name == name))
        if runtime is None:
            runtime = Runtime(
                name=name,
                display_name=columns.pop("display_name", name),
                repo_url=columns.pop("repo_url", f"https://example.test/{name}"),
                default_branch=columns.pop("default_branch", "main"),
                **columns,
            )
            self.session.add(runtime)
            self.session.flush()
        return runtime

    def key(self, key: str, kind: KeyKind = KeyKind.ARCHITECTURE) -> SupportKey:
        """The support key ``key`` of ``kind`` (created on first use)."""
        row = self.session.scalar(
            select(SupportKey).where(SupportKey.key_kind == kind, SupportKey.key == key)
        )
        if row is None:
            row = SupportKey(key_kind=kind, key=key)
            self.session.add(row)
            self.session.flush()
        return row

    def support(
        self,
        runtime: str,
        key: str,
        at: datetime,
        *,
        kind: KeyKind = KeyKind.ARCHITECTURE,
        stage: Stage = Stage.MERGED,
        commit: str = "c" * 40,
        evidence_url: str | None = None,
        recorded_at: datetime | None = None,
        **columns: Any,
    ) -> SupportEvent:
        """``runtime`` registering ``key`` at ``at`` (an ``added`` event)."""
        event = SupportEvent(
            runtime_id=self.runtime(runtime).id,
            support_key_id=self.key(key, kind).id,
            stage=stage,
            event=EventKind.ADDED,
            at=at,
            commit=commit,
            evidence_url=evidence_url or f"https://example.test/{runtime}/commit/{commit}",
            recorded_at=recorded_at or at,
            **columns,
        )
        self.session.add(event)
        self.session.flush()
        return event

    @contextmanager
    def serving(self, now: datetime, app: FastAPI | None = None) -> Iterator[TestClient]:
        """The gap rows refreshed, and ``app`` (default: a new one) answering from this session at ``now``."""
        refresh_gaps(self.session)
        app = app or create_app(start_watchers=False)
        app.dependency_overrides[get_session] = lambda: self.session
        app.dependency_overrides[get_now] = lambda: now
        try:
            yield TestClient(app)
        finally:
            app.dependency_overrides.clear()
