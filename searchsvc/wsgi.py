"""The WSGI entry point for gunicorn (``searchsvc.wsgi:app``)."""

from searchsvc.app import create_app

app = create_app()
