"""Background tasks of the reports (procrastinate; the worker runs ``--queues imports,reports``).
Found by procrastinate's Django autodiscovery of ``tasks`` modules."""

from __future__ import annotations

from django.db import close_old_connections, connection
from procrastinate.contrib.django import app

from reports import jobs


@app.task(queue=jobs.QUEUE)
def run_report_job(job_id: int) -> None:
    """Make the file of the recorded ReportJob ``job_id`` (see ``reports.jobs.run_job``)."""
    close_old_connections()
    try:
        jobs.run_job(job_id)
    finally:
        # sync tasks run in a worker thread with its own Django connection: release it
        connection.close()
