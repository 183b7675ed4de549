"""indexer.logs: one JSON object per line, whatever the message, extra fields or traceback."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest

from indexer.logs import JsonFormatter, configure_logging


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_json_line_has_time_level_logger_message_and_extras(restore_root):
    stream = io.StringIO()
    configure_logging("json", "info", stream=stream)
    before = dt.datetime.now(dt.UTC)
    logging.getLogger("searchsvc.index").info(
        "indexed %d records", 120, extra={"records": 120, "source": 'a "quoted" \\ path'}
    )
    (line,) = lines(stream)
    record = json.loads(line)
    assert record["level"] == "info" and record["logger"] == "searchsvc.index"
    assert record["message"] == "indexed 120 records"
    assert record["records"] == 120 and record["source"] == 'a "quoted" \\ path'
    assert record["time"].endswith("Z")
    logged = dt.datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
    assert abs((logged - before).total_seconds()) < 5


def test_exception_is_one_field_on_one_line(restore_root):
    stream = io.StringIO()
    configure_logging("json", "info", stream=stream)
    try:
        raise ValueError("line one\nline two")
    except ValueError:
        logging.getLogger("searchsvc").exception("rebuild failed")
    (line,) = lines(stream)
    record = json.loads(line)
    assert record["level"] == "error" and record["message"] == "rebuild failed"
    assert record["exception"].startswith("Traceback")
    assert "ValueError: line one\nline two" in record["exception"]


def test_extras_do_not_overwrite_the_fixed_fields():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello", (), None)
    record.level = "spoofed"
    record.time = "spoofed"
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "warning" and line["time"] != "spoofed"
    assert "pid" in line and "args" not in line and "msg" not in line


def test_level_filters_and_text_format(restore_root):
    stream = io.StringIO()
    configure_logging("text", "warning", stream=stream)
    logging.getLogger("searchsvc.index").info("not shown")
    logging.getLogger("searchsvc.index").warning("skipped %s", "a.pdf")
    (line,) = lines(stream)
    assert line.endswith("WARNING searchsvc.index: skipped a.pdf")


def test_configure_logging_replaces_earlier_handlers(restore_root):
    first, second = io.StringIO(), io.StringIO()
    configure_logging("json", stream=first)
    configure_logging("json", stream=second)
    logging.getLogger("indexer").warning("once")
    assert lines(first) == [] and len(lines(second)) == 1


@pytest.mark.parametrize(("fmt", "level"), [("xml", "info"), ("json", "loud")])
def test_unknown_format_or_level_is_rejected(fmt, level, restore_root):
    with pytest.raises(ValueError):
        configure_logging(fmt, level, stream=io.StringIO())


def test_the_indexer_logs_json_lines_when_not_on_a_terminal(tmp_path, cli, monkeypatch):
    done = cli("status", "--index-dir", tmp_path / "none")
    assert done.returncode == 5
    [line] = done.stderr.strip().splitlines()
    event = json.loads(line)
    assert event["level"] == "error" and event["logger"] == "searchsvc.index"
    assert "no index has been published" in event["message"]
    text = cli("--log-format", "text", "status", "--index-dir", tmp_path / "none")
    assert "ERROR searchsvc.index: no index has been published" in text.stderr
    monkeypatch.setenv("SEARCHSVC_LOG_FORMAT", "text")
    configured = cli("status", "--index-dir", tmp_path / "none")
    assert configured.stderr.startswith("20") and "ERROR searchsvc.index" in configured.stderr


def test_global_options_go_before_or_after_the_command(tmp_path, cli, shipped_corpus):
    after = cli("status", "--index-dir", tmp_path / "none", "--log-format", "text")
    assert "ERROR searchsvc.index: no index has been published" in after.stderr
    (tmp_path / "records.jsonl").write_text('{"id": "a", "body": "Päätös."}\n', "utf-8")
    built = cli("rebuild", "--log-format", "text", "--corpus", tmp_path / "records.jsonl",
                "--index-dir", tmp_path / "index", "--jobs", "1", "--progress", "none")
    assert built.returncode == 0, built.stderr
    assert "INFO searchsvc.index: published generation" in built.stderr
    both = cli("--log-format", "json", "status", "--index-dir", tmp_path / "none",
               "--log-format", "text")  # the later one wins
    assert both.stderr.startswith("20") and "ERROR searchsvc.index" in both.stderr


def test_the_indexer_rejects_an_unknown_log_format(cli, monkeypatch):
    monkeypatch.setenv("SEARCHSVC_LOG_FORMAT", "xml")
    done = cli("status")
    assert done.returncode == 2 and "SEARCHSVC_LOG_FORMAT must be one of" in done.stderr
