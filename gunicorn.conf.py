"""gunicorn settings: the app and its bind and workers come from searchsvc's settings.

``gunicorn -c gunicorn.conf.py`` serves ``searchsvc.app:create_app()``; ``--bind`` on the
command line overrides ``SEARCHSVC_BIND``.
"""

from searchsvc.settings import Settings

_settings = Settings.from_env()

wsgi_app = "searchsvc.wsgi:app"
bind = [_settings.bind]
workers = _settings.workers
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
loglevel = _settings.log_level
# Each worker opens the index itself: open index files are not shared across a fork.
preload_app = False
