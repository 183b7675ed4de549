"""Settings from SEARCHSVC_* variables: typed, unknown ones rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchsvc.settings import Settings, SettingsError, markdown_table


def test_defaults():
    settings = Settings.from_env({})
    assert settings.index_dir == Path("var/index")
    assert settings.bind == "127.0.0.1:8000"
    assert settings.workers >= 1 and settings.cors_origins == ()
    assert settings.log_format == "json" and settings.metrics_dir is None


def test_values_are_parsed():
    settings = Settings.from_env({
        "SEARCHSVC_INDEX_DIR": "/srv/index", "SEARCHSVC_BIND": "0.0.0.0:9000",
        "SEARCHSVC_WORKERS": "4", "SEARCHSVC_CORS_ORIGINS": "https://a.fi, https://b.fi",
        "SEARCHSVC_RELOAD_SECONDS": "0.5", "SEARCHSVC_CACHE_SECONDS": "0",
        "SEARCHSVC_LOG_LEVEL": "WARNING", "PATH": "/usr/bin",
    })
    assert settings == Settings(Path("/srv/index"), "0.0.0.0:9000", 4,
                                ("https://a.fi", "https://b.fi"), 0.5, 0, "warning")


def test_public_url_and_export_cap():
    settings = Settings.from_env({"SEARCHSVC_PUBLIC_URL": " https://haku.example.fi/api/ ",
                                  "SEARCHSVC_EXPORT_MAX_RECORDS": "500"})
    assert settings.public_url == "https://haku.example.fi/api"
    assert settings.export_max_records == 500
    assert Settings.from_env({}).export_max_records == 10_000


def test_log_format_and_metrics_dir():
    settings = Settings.from_env({"SEARCHSVC_LOG_FORMAT": " Text ",
                                  "SEARCHSVC_METRICS_DIR": "/run/searchsvc/metrics"})
    assert settings.log_format == "text"
    assert settings.metrics_dir == Path("/run/searchsvc/metrics")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SEARCHSVC_INDEXDIR", "x", "unknown setting SEARCHSVC_INDEXDIR"),
        ("SEARCHSVC_WORKERS", "two", "must be a whole number"),
        ("SEARCHSVC_WORKERS", "0", "at least 1"),
        ("SEARCHSVC_BIND", "8000", "host:port"),
        ("SEARCHSVC_PUBLIC_URL", "haku.example.fi", "must be an http"),
        ("SEARCHSVC_PUBLIC_URL", "https://haku.example.fi/?x=1", "without query"),
        ("SEARCHSVC_EXPORT_MAX_RECORDS", "0", "at least 1"),
        ("SEARCHSVC_RELOAD_SECONDS", "0", "more than 0"),
        ("SEARCHSVC_LOG_LEVEL", "loud", "one of"),
        ("SEARCHSVC_INDEX_DIR", " ", "must not be empty"),
        ("SEARCHSVC_LOG_FORMAT", "xml", "SEARCHSVC_LOG_FORMAT must be one of json, text"),
        ("SEARCHSVC_METRICS_DIR", "", "must not be empty"),
    ],
)
def test_bad_values_stop_start_up(variable, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({variable: value})


def test_the_readme_table_is_the_declarations(root):
    """README.md's settings table must be ``markdown_table()`` exactly: a setting added,
    renamed or given another default or meaning changes both or fails here."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    start = readme.index("| variable | default | meaning |")
    table = readme[start:readme.index("\n\n", start)]
    assert table == markdown_table(), "paste searchsvc.settings.markdown_table() into README.md"


def test_one_setting_for_the_indexer():
    assert Settings.given("index_dir", {}) is None
    assert Settings.given("index_dir", {"SEARCHSVC_INDEX_DIR": "/srv/i"}) == Path("/srv/i")
    assert Settings.default("index_dir") == Path("var/index")
    assert Settings.default("workers") >= 1
    with pytest.raises(SettingsError, match="SEARCHSVC_LOG_FORMAT must be one of json, text"):
        Settings.given("log_format", {"SEARCHSVC_LOG_FORMAT": "xml"})
