"""gunicorn settings: the app and its bind and workers come from searchsvc's settings.

``gunicorn -c gunicorn.conf.py`` serves ``searchsvc.app:create_app()``; ``--bind`` on the
command line overrides ``SEARCHSVC_BIND``.

Logs: with ``SEARCHSVC_LOG_FORMAT=json`` (the default) gunicorn's error log (stderr), its
access log (stdout) and the app's own lines are one JSON object per line.

Memory: the master loads the lemma dictionaries before it forks the workers, which share
them (``searchsvc.preload``); each worker opens the index itself.

Metrics: each worker writes its counts to ``SEARCHSVC_METRICS_DIR`` (a fresh temporary
directory by default) and ``/metrics`` sums them. prometheus-client picks its multiprocess
mode from ``PROMETHEUS_MULTIPROC_DIR`` when it is first imported, so that is set here, in the
master, before any worker imports the app. A fresh temporary directory is removed when the
master exits, however it exits: stopped, or failing before it serves (a port in use).
"""

import atexit
import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn import glogging

from indexer.logs import JsonFormatter
from searchsvc.settings import Settings, SettingsError

try:
    _settings = Settings.from_env()
except SettingsError as exc:  # an operator's typo: one line, as the indexer says it
    print(f"searchsvc: error: {exc}", file=sys.stderr)
    sys.exit(2)

METRICS_DIR_PREFIX = "searchsvc-metrics-"


def _metrics_dir() -> Path:
    if _settings.metrics_dir is not None:
        _settings.metrics_dir.mkdir(parents=True, exist_ok=True)
        return _settings.metrics_dir.resolve()
    # Set by an earlier reading of this file (gunicorn reads it again on HUP): keep counting.
    inherited = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if inherited:
        Path(inherited).mkdir(parents=True, exist_ok=True)
        return Path(inherited)
    return Path(tempfile.mkdtemp(prefix=METRICS_DIR_PREFIX))


_metrics = _metrics_dir()
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics)
# The master's pid (``on_starting`` updates it if gunicorn daemonized since): workers are
# forked from the master and inherit its exit handlers, but the directory is not theirs.
_master = {"pid": os.getpid()}


def _remove_fresh_metrics_dir() -> None:
    if os.getpid() != _master["pid"]:
        return
    if _settings.metrics_dir is None and _metrics.name.startswith(METRICS_DIR_PREFIX):
        shutil.rmtree(_metrics, ignore_errors=True)


# gunicorn exits without calling ``on_exit`` when it cannot bind, or on an error in its
# main loop; the interpreter's exit handlers run on any exit through Python (not on a
# kill -9, nor on a signal that arrives before gunicorn handles signals).
atexit.register(_remove_fresh_metrics_dir)


class ServiceLogger(glogging.Logger):
    """gunicorn's logger, with JSON lines when ``SEARCHSVC_LOG_FORMAT=json``.

    Every other logger (the app's ``searchsvc.*``) writes through the error log's handler,
    so its lines come out in the same shape in the same place.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        gunicorn_handlers = [
            handler
            for log in (self.error_log, self.access_log)
            for handler in log.handlers
            if getattr(handler, "_gunicorn", False)
        ]
        if _settings.log_format == "json":
            for handler in gunicorn_handlers:
                handler.setFormatter(JsonFormatter())
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "_gunicorn", False):  # from before a reload
                root.removeHandler(handler)
        for handler in self.error_log.handlers:
            if getattr(handler, "_gunicorn", False):
                root.addHandler(handler)

    def access(self, resp, req, environ, request_time: dt.timedelta) -> None:
        if _settings.log_format != "json":
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        try:
            status = resp.status
            if isinstance(status, str):
                status = status.split(None, 1)[0]
            method = environ.get("REQUEST_METHOD", "-")
            # PATH_INFO is the decoded path as latin-1 (PEP 3333); show it as the UTF-8 it was.
            path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
            self.access_log.info(
                "%s %s %s", method, path, status,
                extra={
                    "remote_addr": environ.get("REMOTE_ADDR"),
                    "method": method,
                    "path": path,
                    "query": environ.get("QUERY_STRING", ""),
                    "protocol": environ.get("SERVER_PROTOCOL"),
                    "status": int(status),
                    "bytes": getattr(resp, "sent", None),
                    "duration_ms": round(request_time.total_seconds() * 1000, 3),
                    "user_agent": environ.get("HTTP_USER_AGENT"),
                    "referer": environ.get("HTTP_REFERER"),
                },
            )
        except Exception:
            self.exception("could not write the access log line")


def on_starting(server) -> None:
    """Counts left by an earlier gunicorn in the same directory would be added to ours.

    The lemma dictionaries are loaded here, once, for the workers to share
    (``searchsvc.preload``).
    """
    _master["pid"] = server.pid
    for stale in _metrics.glob("*.db"):
        stale.unlink()
    from searchsvc.preload import load_before_fork

    load_before_fork()


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_metrics))


def on_exit(server) -> None:
    _remove_fresh_metrics_dir()


wsgi_app = "searchsvc.wsgi:app"
bind = [_settings.bind]
workers = _settings.workers
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'  # when SEARCHSVC_LOG_FORMAT=text
logger_class = ServiceLogger
loglevel = _settings.log_level
# Each worker opens the index itself: open index files are not shared across a fork.
preload_app = False
