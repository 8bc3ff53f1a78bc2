from __future__ import annotations

import pytest

from app.sources.hub import HubRateLimited
from app.sources.hub.budget import RequestBudget


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_budget_refuses_past_the_limit_and_resets_with_the_window() -> None:
    clock = Clock()
    budget = RequestBudget(3, window=300, clock=clock)
    for _ in range(3):
        budget.take()
    with pytest.raises(HubRateLimited) as info:
        budget.take()
    assert info.value.retry_after == pytest.approx(300)
    clock.t += 299
    with pytest.raises(HubRateLimited):
        budget.take()
    clock.t += 1
    budget.take()
    assert budget.used == 1


def test_hub_wait_blocks_until_it_ends() -> None:
    clock = Clock()
    budget = RequestBudget(100, clock=clock)
    budget.block_for(56)
    with pytest.raises(HubRateLimited) as info:
        budget.take()
    assert info.value.retry_after == pytest.approx(56)
    clock.t += 56
    budget.take()
