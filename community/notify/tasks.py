"""Background tasks of notifications (procrastinate; the worker runs with ``--queues
imports,reports,notify``). Found by procrastinate's Django autodiscovery of ``tasks``
modules."""

from __future__ import annotations

from django.conf import settings
from django.db import close_old_connections, connection
from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.contrib.django import app
from procrastinate.jobs import Job

from community.notify import delivery

QUEUE = "notify"


class Backoff(BaseRetryStrategy):
    """Exponential backoff read from the settings when a try fails: wait
    ``NOTIFY_RETRY_BASE_SECONDS * 2^n`` (capped at ``NOTIFY_RETRY_MAX_SECONDS``) after the
    n-th failed try, up to ``NOTIFY_MAX_ATTEMPTS`` tries. Only a failed delivery is retried
    (a bug is not: the job fails and shows in procrastinate's records)."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not isinstance(exception, delivery.DeliveryFailed):
            return None
        if job.attempts + 1 >= settings.NOTIFY_MAX_ATTEMPTS:
            return None
        wait = settings.NOTIFY_RETRY_BASE_SECONDS * 2**job.attempts
        return RetryDecision(retry_in={"seconds": min(wait, settings.NOTIFY_RETRY_MAX_SECONDS)})


@app.task(queue=QUEUE, retry=Backoff())
def deliver(delivery_id: int) -> None:
    """Try the ``Delivery`` ``delivery_id`` once (see ``community.notify.delivery``)."""
    close_old_connections()
    try:
        delivery.attempt(delivery_id)
    finally:
        # sync tasks run in a worker thread with its own Django connection: release it
        connection.close()
