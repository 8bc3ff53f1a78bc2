"""A watch receiver on 127.0.0.1: records every POST (headers and raw body) and answers scripted statuses."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """``statuses`` are answered in order (the last one repeats); ``delay`` holds each answer a while."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    answer: bytes = b"ok"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, item: Received) -> int:
        with self.lock:
            self.received.append(item)
            index = len(self.received) - 1
            return self.statuses[min(index, len(self.statuses) - 1)]


@contextmanager
def receiver(
    statuses: list[int] | None = None, *, delay: float = 0.0, answer: bytes = b"ok"
) -> Iterator[Receiver]:
    """Serve a receiver on a free loopback port for the duration of the block."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            rec = state["receiver"]
            status = rec.record(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if rec.delay:
                time.sleep(rec.delay)
            self.send_response(status)
            self.send_header("Content-Length", str(len(rec.answer)))
            self.end_headers()
            self.wfile.write(rec.answer)

        def log_message(self, *_args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["receiver"] = Receiver(
        url=f"http://127.0.0.1:{server.server_address[1]}/hook",
        statuses=statuses or [200],
        delay=delay,
        answer=answer,
    )
    thread = threading.Thread(target=server.serve_forever, name="test-receiver", daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
