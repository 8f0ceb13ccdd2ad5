"""The pipeline's two helper threads, each on the second core while the main thread checks
a batch: the reader, one batch ahead (GDAL and Arrow parse without the GIL), and the
copier, which sends a batch's staging COPY on the same connection (the run waits for it
before its next query)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import connection
from django.utils import translation

from importers.readers import Batch


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def read_ahead(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """The batches of a reader, read up to ``depth`` ahead in a thread while the current
    one is checked: GDAL and Arrow parse without holding the GIL, so reading the file runs
    on a second core. The reader's errors are raised here, in order; its messages are in
    the caller's language."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        with translation.override(language):
            try:
                for batch in batches:
                    if not put(batch):
                        return
                put(_END)
            except BaseException as error:  # handed to the consumer, raised there
                put(_Failed(error))

    thread = threading.Thread(target=read, name="import-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # the reader's files, from this thread once the reading one has ended


class Copier:
    """The thread a batch's staging COPY is sent from while the next batch is checked."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-copy")
        self.pending: Future[None] | None = None

    def wait(self) -> None:
        """Wait for the COPY of the previous batch; its errors are raised here, as
        Django's database errors."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            with connection.wrap_database_errors:  # the driver's errors as Django's
                pending.result()

    def shutdown(self) -> None:
        self.pool.shutdown()
