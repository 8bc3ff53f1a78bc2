"""A watch receiver on 127.0.0.1: records every POST (headers and raw body) and answers scripted statuses."""

from __future__ import annotations

import json
import socket
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


@dataclass
class DripReceiver:
    """A receiver that reads the request, then answers ``answer`` one byte every ``interval`` seconds."""

    url: str
    connections: int = 0


@contextmanager
def drip_receiver(
    answer: bytes, *, head: bytes = b"", interval: float = 0.1, give_up_after: float = 15.0
) -> Iterator[DripReceiver]:
    """A hostile receiver on loopback: ``head`` at once, then each byte of its ``answer`` (status line, headers, body) arrives
    ``interval`` seconds after the previous one, so every read is well inside any per-read timeout. It hangs
    up after ``give_up_after`` seconds, so a client without a total deadline fails slowly rather than hangs."""
    listener = socket.create_server(("127.0.0.1", 0))
    state = DripReceiver(url=f"http://127.0.0.1:{listener.getsockname()[1]}/hook")
    stopping = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(give_up_after)
            try:
                conn.recv(65536)  # the request (small enough to arrive at once on loopback)
                started = time.monotonic()
                conn.sendall(head)
                for byte in answer:
                    if stopping.is_set() or time.monotonic() - started > give_up_after:
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(interval)
            except OSError:  # the client gave up: what we are testing for
                return

    def accept() -> None:
        listener.settimeout(0.2)
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            state.connections += 1
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, name="test-drip-receiver", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stopping.set()
        thread.join()
        listener.close()
