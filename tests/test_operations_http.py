"""Health checks and /metrics of the real app over the small index (falcon.testing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from falcon import testing
from prometheus_client.parser import text_string_to_metric_families

from searchsvc.app import create_app
from searchsvc.metrics import DURATION_BUCKETS
from searchsvc.settings import Settings


@pytest.fixture
def client(small_index: Path) -> testing.TestClient:
    """A fresh app per test, so its request counts start from nothing."""
    return testing.TestClient(create_app(Settings(index_dir=small_index)))


@pytest.fixture
def no_index_client(tmp_path: Path) -> testing.TestClient:
    return testing.TestClient(create_app(Settings(index_dir=tmp_path / "nothing")))


def samples(client: testing.TestClient) -> dict[tuple[str, frozenset], float]:
    """Every sample of GET /metrics as {(name, labels): value}."""
    result = client.simulate_get("/metrics")
    assert result.status_code == 200, result.text
    assert result.headers["content-type"].startswith("text/plain")
    assert result.headers["cache-control"] == "no-store"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(result.text)
        for sample in family.samples
    }


def requests_total(found: dict, route: str, status: str = "200", method: str = "GET") -> float:
    labels = frozenset({"route": route, "method": method, "status": status}.items())
    return found.get(("searchsvc_requests_total", labels), 0.0)


def test_liveness_is_200_with_or_without_an_index(client, no_index_client):
    for each in (client, no_index_client):
        result = each.simulate_get("/health/live")
        assert result.status_code == 200 and result.json == {"status": "alive"}
        assert result.headers["cache-control"] == "no-store"


def test_readiness_names_the_published_generation(client, small_index):
    result = client.simulate_get("/health/ready")
    assert result.status_code == 200
    assert result.json == {"status": "ready",
                           "generation": (small_index / "CURRENT").read_text().strip()}
    assert result.headers["cache-control"] == "no-store"


def test_readiness_without_an_index_is_503_saying_what_to_do(no_index_client):
    result = no_index_client.simulate_get("/health/ready")
    assert result.status_code == 503
    assert result.json["status"] == "unavailable"
    assert "searchsvc-index rebuild" in result.json["description"]
    assert result.headers["cache-control"] == "no-store"


def test_request_counts_go_up_per_route_method_and_status(client):
    assert requests_total(samples(client), "/search") == 0
    for q in ("tuki", "kokous", "stöd"):
        assert client.simulate_get("/search", params={"q": q}).status_code == 200
    client.simulate_get("/search", params={"size": "500"})
    client.simulate_get("/documents/no-such-id")
    client.simulate_post("/search")
    found = samples(client)
    assert requests_total(found, "/search") == 3
    assert requests_total(found, "/search", status="400") == 1
    assert requests_total(found, "/search", status="405", method="POST") == 1
    assert requests_total(found, "/documents/{doc_id}", status="404") == 1  # the template
    assert requests_total(found, "/metrics") == 1  # the first scrape
    again = samples(client)
    assert requests_total(again, "/search") == 3 and requests_total(again, "/metrics") == 2


def test_unknown_routes_share_one_label(client):
    for path in ("/nowhere", "/admin/secret", "/search/extra/parts"):
        assert client.simulate_get(path).status_code == 404
    found = samples(client)
    assert requests_total(found, "unmatched", status="404") == 3
    routes = {dict(labels)["route"] for name, labels in found
              if name == "searchsvc_requests_total"}
    assert routes == {"unmatched"}  # no label holds a path nobody routed


def test_durations_are_a_histogram_per_route(client):
    for _ in range(2):
        client.simulate_get("/search", params={"q": "tuki"})
    client.simulate_get("/health/live")
    found = samples(client)

    def duration(suffix: str, route: str, **labels: str) -> float:
        key = frozenset({"route": route, **labels}.items())
        return found[(f"searchsvc_request_duration_seconds_{suffix}", key)]

    assert duration("count", "/search") == 2 and duration("count", "/health/live") == 1
    assert duration("sum", "/search") > 0
    buckets = [float(le) for (name, labels) in found
               if name == "searchsvc_request_duration_seconds_bucket"
               and dict(labels)["route"] == "/search"
               for key, le in labels if key == "le"]
    assert sorted(buckets) == [*DURATION_BUCKETS, float("inf")]
    assert duration("bucket", "/search", le="+Inf") == 2


def test_index_gauges_describe_the_published_generation(client, small_index):
    found = samples(client)
    generation = (small_index / "CURRENT").read_text().strip()
    documents = client.simulate_get("/health").json["documents"]
    assert found[("searchsvc_index_ready", frozenset())] == 1
    assert found[("searchsvc_index_documents", frozenset())] == documents > 0
    info = {dict(labels)["generation"]: value for (name, labels), value in found.items()
            if name == "searchsvc_index_generation_info"}
    assert info == {generation: 1}
    assert 0 <= found[("searchsvc_index_age_seconds", frozenset())] < 3600


def test_metrics_answer_without_an_index(no_index_client):
    no_index_client.simulate_get("/search", params={"q": "tuki"})  # 503
    found = samples(no_index_client)
    assert requests_total(found, "/search", status="503") == 1
    assert found[("searchsvc_index_ready", frozenset())] == 0
    names = {name for name, _ in found}
    assert not names & {"searchsvc_index_documents", "searchsvc_index_age_seconds",
                        "searchsvc_index_generation_info"}


def test_openmetrics_on_request(client):
    result = client.simulate_get("/metrics",
                                 headers={"Accept": "application/openmetrics-text"})
    assert result.headers["content-type"].startswith("application/openmetrics-text")
    assert result.text.rstrip().endswith("# EOF")
