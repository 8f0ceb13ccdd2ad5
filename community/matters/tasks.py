"""Background jobs of matters (procrastinate, queue ``matters``; the worker runs with
``--queues imports,reports,notify,matters``). Found by procrastinate's Django autodiscovery
of ``tasks`` modules."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import close_old_connections, connection
from procrastinate.contrib.django import app

from community.matters import deadlines

QUEUE = "matters"
CRON = "*/5 * * * *"  # every five minutes


@app.periodic(cron=CRON, periodic_id="deadlines")
@app.task(queue=QUEUE, name="community.matters.tasks.check_deadlines")
def check_deadlines(timestamp: int) -> dict[str, int]:
    """Send the reminders and escalations due at ``timestamp`` (the time the periodic
    deferrer scheduled the run for, in Unix seconds: a late or repeated run decides as the
    scheduled one would, and sends nothing twice; see ``deadlines.run``)."""
    close_old_connections()
    try:
        return deadlines.run(datetime.fromtimestamp(timestamp, tz=UTC))
    finally:
        # sync tasks run in a worker thread with its own Django connection: release it
        connection.close()
