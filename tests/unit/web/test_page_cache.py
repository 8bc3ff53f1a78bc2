"""The dashboard's page cache: fresh copies reused, stale ones served while one request re-renders, one
rendering for a burst of first requests."""

from __future__ import annotations

import threading
import time

from app.web.page_cache import PageCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_fresh_copy_is_reused_and_expires_after_its_ttl() -> None:
    clock = Clock()
    cache = PageCache(ttl_seconds=5, clock=clock)
    renders: list[int] = []

    def render() -> bytes:
        renders.append(1)
        return f"v{len(renders)}".encode()

    assert cache.get_or_render("/", render) == b"v1"
    clock.now = 4.9
    assert cache.get_or_render("/", render) == b"v1"
    assert cache.get_or_render("/?stage=released", render) == b"v2"  # keys are apart
    clock.now = 5.0
    assert cache.get_or_render("/", render) == b"v3"  # expired: rendered again by the requester


def test_zero_ttl_renders_every_time() -> None:
    cache = PageCache(ttl_seconds=0)
    bodies = iter([b"a", b"b"])
    assert cache.get_or_render("/", lambda: next(bodies)) == b"a"
    assert cache.get_or_render("/", lambda: next(bodies)) == b"b"


def test_stale_copy_is_served_while_another_request_re_renders() -> None:
    clock = Clock()
    cache = PageCache(ttl_seconds=5, clock=clock)
    cache.get_or_render("/", lambda: b"old")
    clock.now = 10
    started, release = threading.Event(), threading.Event()

    def slow_render() -> bytes:
        started.set()
        release.wait(5)
        return b"new"

    results: list[bytes] = []
    renderer = threading.Thread(target=lambda: results.append(cache.get_or_render("/", slow_render)))
    renderer.start()
    assert started.wait(5)
    # While the re-rendering runs, others get the previous copy at once instead of queueing behind it.
    assert cache.get_or_render("/", lambda: b"should not render") == b"old"
    release.set()
    renderer.join(5)
    assert results == [b"new"]
    assert cache.get_or_render("/", lambda: b"should not render") == b"new"


def test_a_burst_of_first_requests_renders_once() -> None:
    cache = PageCache(ttl_seconds=5)
    renders: list[int] = []
    barrier = threading.Barrier(8)

    def render() -> bytes:
        renders.append(1)
        time.sleep(0.05)
        return b"page"

    def request() -> None:
        barrier.wait()
        assert cache.get_or_render("/", render) == b"page"

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(renders) == 1


def test_least_recently_used_keys_are_evicted() -> None:
    cache = PageCache(ttl_seconds=60, max_entries=2)
    cache.get_or_render("a", lambda: b"a")
    cache.get_or_render("b", lambda: b"b")
    cache.get_or_render("a", lambda: b"unused")  # touch a
    cache.get_or_render("c", lambda: b"c")  # evicts b
    assert cache.get_or_render("a", lambda: b"a2") == b"a"
    assert cache.get_or_render("b", lambda: b"b2") == b"b2"
