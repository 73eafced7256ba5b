"""gunicorn settings for the gateway; every value can be overridden from the environment."""

import os

from prometheus_client import multiprocess

# Not bound to the name `config`: gunicorn reads every module-level name that is one of its
# settings, and `config` is (the path of this file).
from ekinerja_kernel import config as kernel_config

# Asked here, in the master, before the workers fork: a production start without the cookie key
# stops now, saying why; elsewhere the key made up for this run is inherited by every worker
# (each making its own, a sign-in form posted to another worker would be refused).
kernel_config.secret("GATEWAY_SECRET_KEY")

bind = f"{os.environ.get('GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '8000')}"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
worker_class = "sync"  # one thread per worker: each holds its own long-lived RPC proxy
timeout = int(os.environ.get("GATEWAY_WORKER_TIMEOUT", "30"))
graceful_timeout = 10
backlog = int(os.environ.get("GATEWAY_BACKLOG", "2048"))
# The longest request line gunicorn allows: a longer URI than the app takes (GATEWAY_MAX_URI_BYTES)
# still reaches the app, which answers 414 problem+json; past this gunicorn answers 414 itself.
limit_request_line = 8190
accesslog = None  # the app writes one JSON line per request, with its request id
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ekinerja_kernel.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "ekinerja_kernel.logs.JsonFormatter", "service": "gateway"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                             "filters": ["request_id"]}},
    "root": {"level": os.environ.get("LOG_LEVEL", "INFO"), "handlers": ["console"]},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False}},
}


def on_starting(server):
    # gunicorn's own refusals (414, 431, 400) answer problem+json like the app, not an HTML page;
    # patched in the master, so every forked worker has it.
    from ekinerja_gateway import rawproblems

    rawproblems.install()


def child_exit(server, worker):
    # A dead worker's metric files must stop counting as live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    # Each worker (after fork, the app loaded) starts listening for ended sessions at once, so its
    # revocation list is current before its first request (threads do not survive fork: never earlier).
    feed = getattr(worker.wsgi, "extensions", {}).get("revocations")
    if feed is not None:
        feed.start()
