"""gunicorn settings for the web client; every value can be overridden from the environment."""

import os

bind = f"{os.environ.get('WEB_HOST', '127.0.0.1')}:{os.environ.get('WEB_PORT', '8080')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
# Threads: a page waits on the gateway (and briefly on a submitted day's outcome) without holding a
# whole worker; the session store is a SQLite file, safe across threads and processes.
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_WORKER_TIMEOUT", "30"))
graceful_timeout = 10
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
