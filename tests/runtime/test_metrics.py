"""/metrics: what the hub counts, read the way Prometheus reads it (over a real socket)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from handoff.runtime import Worker
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock

from .conftest import Loopback


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_the_jobs_gauge_says_zero_once_a_state_has_emptied(
    store: Store, clock: FakeClock, loopback: Loopback
) -> None:
    app = create_app(store, clock=clock)
    worker = Worker(store, clock=clock)
    page_view = {"id": "pv-1", "visitor_id": "v-1", "url": "https://www.example.test/"}
    async with loopback(app) as client:
        assert (await client.post("/v1/page-views", json=page_view)).status_code == 202
        before = samples((await client.get("/metrics")).text)
        assert before[("handoff_jobs", (("state", "queued"),))] == 1
        assert before[("handoff_jobs", (("state", "done"),))] == 0
        await worker.run_once()
        after = samples((await client.get("/metrics")).text)
    assert after[("handoff_jobs", (("state", "queued"),))] == 0, "not the last value it had"
    assert after[("handoff_jobs", (("state", "done"),))] == 1
    assert after[("handoff_jobs", (("state", "running"),))] == 0
    assert after[("handoff_jobs", (("state", "dead"),))] == 0
