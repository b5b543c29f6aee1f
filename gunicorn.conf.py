"""gunicorn settings read from the working directory (Procfile's `web`). The access log is
written without the secrets in links (core.gunicorn_logging)."""

logger_class = "core.gunicorn_logging.RedactingLogger"
accesslog = "-"
# How long a request may take before gunicorn replaces the worker: longer than any page, short
# enough that a hung dependency cannot hold a worker for long.
timeout = 30


def post_worker_init(worker: object) -> None:
    # The ZIP table is indexed as each worker starts, not on a visitor's first request.
    from core.geo import preload

    preload()
