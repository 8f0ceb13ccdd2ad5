"""Background tasks (procrastinate, jobs queued in the platform's PostgreSQL).

The worker is ``manage.py procrastinate worker`` (run it beside the web server; without a
worker, uploaded imports stay queued). Tasks are found by procrastinate's Django
autodiscovery of ``tasks`` modules. procrastinate depends on psycopg 3, and Django uses
psycopg 3 rather than psycopg2 whenever it is importable (``importers.sql`` copes with both).
"""

from __future__ import annotations

from django.db import close_old_connections, connection
from procrastinate.contrib.django import app

from importers import jobs

IMPORT_QUEUE = "imports"


@app.task(queue=IMPORT_QUEUE)
def run_import_job(job_id: int) -> None:
    """Run the recorded ImportJob ``job_id`` (see ``importers.jobs.run_job``)."""
    close_old_connections()
    try:
        jobs.run_job(job_id)
    finally:
        # sync tasks run in a worker thread with its own Django connection: release it
        connection.close()
