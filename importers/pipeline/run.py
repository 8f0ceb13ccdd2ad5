"""The run: one ``ImportRun`` is one recorded import of a file, a dry run or a commit.

``execute`` opens the file with the reader for its format and decides the CRS (the
explicit option, else what the file declares, else the run is refused: nothing is
guessed), binds the mapping, then works batch by batch through the five stages of
``importers.pipeline.stages`` (the file read one batch ahead, the staging COPY sent from
another thread), decides the job's status from the counts, and in a commit loads the staged
rows in one transaction (``_commit``). ``run_import`` and ``execute_recorded`` are the entry
points that record the job and how it ended."""

from __future__ import annotations

import contextlib
import gc
import math
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.contrib.auth.models import User as AuthUser
from django.core.files import File
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from component_catalog import sql as catalog_sql
from component_catalog.models import Changeset, ChangesetSource
from gis_app import coords
from gis_app.errors import DomainError
from gis_app.types import User
from importers import sql
from importers.files import unpack
from importers.locate import Locator
from importers.mapping import BoundMapping, Mapping
from importers.models import ImportJob, ImportStatus
from importers.pipeline import stages
from importers.pipeline.dedupe import Deduplication
from importers.pipeline.job_record import finish, sha256_of
from importers.pipeline.matching import Matcher
from importers.pipeline.metric import Metric
from importers.pipeline.options import (
    ERROR,
    INSERT,
    SKIP,
    UPDATE,
    ImportOptions,
    ImportRefused,
    Progress,
)
from importers.pipeline.rights import Rights
from importers.pipeline.staging import Staging
from importers.pipeline.threads import read_ahead
from importers.readers import Batch, Reader, SourceInfo, crs_hint, open_reader
from importers.report import RejectedWriter, Report
from layers import changes


def refusal_for_crs(info: SourceInfo, file_name: str) -> str:
    """The message refusing a file that declares no coordinate system, with how to give one."""
    return _(
        "%(name)s: no coordinate system, so nothing was imported (coordinates are never "
        "guessed). %(hint)s"
    ) % {
        "name": file_name,
        "hint": crs_hint(info),
    }


def account(user: User | None) -> AuthUser | None:
    """The signed-in account a run acts for (recorded on the job and the changeset), or
    None for the anonymous visitor."""
    return user if isinstance(user, AuthUser) and user.is_authenticated else None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is worked on: a batch makes a few
    million small containers without cycles, and the collector's passes over them cost
    more than the work (reference counting frees them as usual)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ImportRun:
    """One run: its options, the run-wide state the batches share (the bound mapping, the
    metric projection, the locator, matching, access, deduplication, staging) and the
    report."""

    bound: BoundMapping
    matcher: Matcher
    dedupe: Deduplication

    def __init__(
        self,
        path: Path,
        mapping: Mapping,
        user: User | None,
        options: ImportOptions,
        progress: Progress | None = None,
    ) -> None:
        if options.on_duplicate not in (UPDATE, SKIP):
            raise ImportRefused(_("on_duplicate must be update or skip."), field="on_duplicate")
        if not math.isfinite(options.dedupe_metres) or options.dedupe_metres < 0:
            raise ImportRefused(
                _("The deduplication tolerance must be 0 (off) or more metres."),
                field="dedupe_metres",
            )
        self.path = path
        self.mapping = mapping
        self.user = user
        self.options = options
        self.progress = progress
        self.file_name = (options.file_name or path.name)[:200]
        self.report = Report()
        self.crs = ""
        self.metric: Metric | None = None  # chosen at the first batch with live rows
        self.locator: Locator | None = None  # built at the first batch
        self.rights = Rights(user, mapping, options)
        self.org_codes: dict[int, str] = {}
        # the staging COPY of a batch runs in a thread while the next batch is checked
        self.staging = Staging()
        self.rejected: RejectedWriter | None = None
        self.sample_rows: list[int] = []
        self.extents: list[sql.Extent] = []

    # -- entry -----------------------------------------------------------------------------------

    def execute(self, job: ImportJob) -> ImportJob:
        self.started = started = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="import-") as tmp:
                return self._execute(job, Path(tmp), started)
        finally:
            self.report.timing.setdefault("total", time.perf_counter() - started)

    def _execute(self, job: ImportJob, tmp: Path, started: float) -> ImportJob:
        data_file = unpack(self.path, tmp / "unpacked", member=self.options.member)
        reader = open_reader(data_file, self.options.read_options())
        info = reader.info()
        self._decide_crs(info)
        job.format = info.format
        self._bind(info.fields)
        sql.ensure_statistics()
        self.extents = sql.area_extents()
        if not self.extents:
            raise ImportRefused(_("The platform has no administrative areas yet."))
        self.report.options = {**self.options.as_dict(), "mapping": self.mapping.as_dict()}
        commit = not self.options.dry_run
        self.rejected = RejectedWriter(tmp / "rejected.csv", info.fields)
        try:
            if commit:
                sql.create_staging()
            done = 0
            for batch in self._batches(reader):
                with gc_paused():
                    self._batch(batch, commit)
                done += len(batch)
                if self.progress:
                    self.progress(done, info.count, "validate")
            self.staging.wait()
            self.rejected.close()
            self.rights.audit_denied(job)
            self.report.timing["validate"] = time.perf_counter() - started
            if self.rejected.count:
                with self.rejected.path.open("rb") as handle:
                    job.rejected_file.save("rejected.csv", File(handle), save=False)
            self._conclude(job, commit)
        finally:
            self.rejected.close()
            if commit:
                with contextlib.suppress(Exception):  # never hide the original error
                    self.staging.wait()
                with contextlib.suppress(DatabaseError):
                    sql.drop_staging()
            self.staging.close()
        return job

    def _bind(self, fields: list[str]) -> None:
        """The mapping bound to the file's fields, and what works with its classes."""
        bound = self.bound = BoundMapping(self.mapping, fields)
        self.org_codes = bound.organization_codes()
        metres = self.options.dedupe_metres
        self.matcher = Matcher(self.mapping, bound.kinds, metres, self.rights)
        self.dedupe = Deduplication(
            metres,
            self.options.on_duplicate,
            bound.kinds,
            keyed=self.mapping.source_key is not None,
        )

    def _conclude(self, job: ImportJob, commit: bool) -> None:
        """Once every batch is checked: the job's status from the counts, and the load
        when a commit has rows to write and no invalid row stops it."""
        totals = self.report.totals
        if not commit:
            job.status = ImportStatus.DRY_RUN
        elif totals[ERROR] and not self.options.skip_invalid:
            job.status = ImportStatus.REFUSED
            job.error = _(
                "%(n)d of %(rows)d rows are invalid, so nothing was imported. Correct "
                "them (the rejected rows are listed in the report and downloadable), "
                "or import with skip_invalid (--skip-invalid) to load only the valid "
                "rows."
            ) % {"n": totals[ERROR], "rows": totals["rows"]}
        elif not (totals[INSERT] or totals[UPDATE]):
            job.status = ImportStatus.NOTHING
            job.error = _("No row to insert or update: every row was skipped.")
        else:
            self._commit(job)

    def _decide_crs(self, info: SourceInfo) -> None:
        given = (self.options.crs or "").strip()
        if given:
            try:
                self.crs = coords.parse_crs(given)
            except ValueError as exc:
                raise ImportRefused(str(exc), field="crs") from None
            source = "option"
        elif info.crs:
            self.crs = info.crs
            source = info.crs_source
        else:
            raise ImportRefused(refusal_for_crs(info, self.file_name), field="crs")
        self.report.source = {
            "format": info.format,
            "layer": info.layer,
            "crs": self.crs,
            "crs_source": source,
            "crs_suggestion": info.crs_suggestion,
            "encoding": info.encoding,
            "encoding_source": info.encoding_source,
            "fields": info.fields,
            "count": info.count,
            "notes": list(info.notes),
        }

    def _batches(self, reader: Reader) -> Iterator[Batch]:
        yield from read_ahead(reader.batches(self.options.batch_rows))

    # -- one batch ---------------------------------------------------------------------------

    def _batch(self, batch: Batch, commit: bool) -> None:
        """The five stages of ``importers.pipeline.stages``, each timed."""
        t0 = time.perf_counter()
        st = stages.map_rows(self, batch)
        stages.check_geometry(self, batch, st)
        t1 = time.perf_counter()
        self.staging.wait()  # the connection is free again
        candidates = stages.locate(self, st, commit)
        t2 = time.perf_counter()
        stages.match_access_dedupe(self, st, candidates, batch.row_numbers)
        t3 = time.perf_counter()
        stages.settle(self, batch, st, commit)
        t4 = time.perf_counter()
        timing = self.report.timing
        timing["map_and_geometry"] += t1 - t0
        timing["locate"] += t2 - t1
        timing["match_access_dedupe"] += t3 - t2
        timing["stage"] += t4 - t3

    # -- commit -----------------------------------------------------------------------------

    def _commit(self, job: ImportJob) -> None:
        """One transaction: reserve serials, insert, update, history, audit; all or nothing."""
        loading = time.perf_counter()
        staged = self.staging.counts
        if self.progress:
            self.progress(staged[INSERT] + staged[UPDATE], None, "load")
        user = account(self.user)
        user_id = user.pk if user is not None else None
        username = user.get_username() if user is not None else ""
        with transaction.atomic():
            changeset = Changeset.objects.create(
                user=user,
                comment=_("Import of %(file)s (job %(job)s)")
                % {"file": self.file_name, "job": job.pk},
                source=ChangesetSource.IMPORT,
                closed_at=timezone.now(),
            )
            firsts = []
            classes = set()
            for (county, klass), count in sorted(self.staging.ranks.items()):
                assert klass is not None  # staged insertions have a class
                serials = catalog_sql.reserve_serials(county, klass, count)
                firsts.append((county, klass, serials.start, count))
                classes.add(klass)
            inserted, identifiers = 0, dict[int, str]()
            if staged[INSERT]:
                inserted, identifiers = sql.insert_staged(
                    firsts,
                    user_id=user_id,
                    username=username,
                    changeset_id=changeset.pk,
                    source_name=self.file_name,
                    sample_rows=self.sample_rows,
                    timing=self.report.timing,
                )
            updated = 0
            if staged[UPDATE]:
                updated = sql.update_staged(
                    user_id=user_id,
                    username=username,
                    changeset_id=changeset.pk,
                    source_name=self.file_name,
                )
            checking = time.perf_counter()
            sql.check_deferred_constraints()
            self.report.timing["load_constraints"] = round(time.perf_counter() - checking, 3)
            # A bulk load touches too many tiles to list: its classes' layers start afresh.
            classes |= set(sql.updated_classes()) if staged[UPDATE] else set()
            changes.components_changed(classes, None)
            for feature in self.report.sample:
                row = feature["properties"]["row"]
                if row in identifiers:
                    feature["id"] = identifiers[row]
            job.changeset = changeset
            job.status = ImportStatus.COMMITTED
            if (inserted, updated) != (staged[INSERT], staged[UPDATE]):
                raise DatabaseError(
                    f"staged {staged[INSERT]} insertions and {staged[UPDATE]} "
                    f"updates, but {inserted} and {updated} were written"
                )
            self.report.timing["load"] = time.perf_counter() - loading
            self.report.timing["total"] = time.perf_counter() - self.started
            finish(job, self.report, address=self.options.address)


# --- jobs --------------------------------------------------------------------------------------


def run_import(
    path: Path,
    mapping: Mapping,
    user: User | None,
    options: ImportOptions,
    *,
    progress: Progress | None = None,
) -> ImportJob:
    """Run one import (dry run or commit) of the file at ``path`` and return its job, whose
    ``status``, ``report`` and ``rejected_file`` say what happened. Problems with the file
    as a whole end in status ``refused``, a database error during the load in ``failed``
    (with everything rolled back); neither raises."""
    checksum, size = sha256_of(path)
    signed_in = account(user)
    job = ImportJob.objects.create(
        user=signed_in,
        username=signed_in.get_username() if signed_in is not None else "",
        file_name=(options.file_name or path.name)[:255],
        sha256=checksum,
        size=size,
        options=options.as_dict() | {"mapping": mapping.as_dict()},
        dry_run=options.dry_run,
    )
    return execute_recorded(
        job, lambda: ImportRun(path, mapping, user, options, progress), address=options.address
    )


def execute_recorded(
    job: ImportJob, make_run: Callable[[], ImportRun], *, address: str | None = None
) -> ImportJob:
    """Run a recorded job (the command's, or one the web request queued) and record how it
    ended: problems with the file as a whole (``DomainError``, also from ``make_run``) in
    ``refused``, a database error during the load in ``failed`` (everything rolled back);
    neither raises. Any other exception is recorded as ``failed`` and raised."""
    run: ImportRun | None = None
    try:
        run = make_run()
        run.execute(job)
    except DomainError as exc:  # the file, its CRS or the mapping: refused as a whole
        job.status = ImportStatus.REFUSED
        job.error = str(exc.message)
    except (DatabaseError, sql.StaleRows) as exc:
        # the transaction was rolled back: forget what the commit had set on the job
        job.status = ImportStatus.FAILED
        job.changeset = None
        job.inserted = job.updated = 0
        if isinstance(exc, sql.StaleRows):
            job.error = _(
                "Components changed while the file was being checked: %(ids)s. Nothing was "
                "imported; run the import again."
            ) % {"ids": ", ".join(exc.identifiers[:20])}
        else:
            job.error = _("The database refused the load, so nothing was imported: %(reason)s") % {
                "reason": str(exc).strip()
            }
    except Exception as exc:  # a bug: record the job as failed, then let it surface
        job.status = ImportStatus.FAILED
        job.changeset = None
        job.inserted = job.updated = 0
        job.error = _("Internal error (%(kind)s); nothing was imported.") % {
            "kind": type(exc).__name__
        }
        finish(job, run.report if run is not None else None, address=address)
        raise
    if job.status != ImportStatus.COMMITTED:  # committed jobs were finished in the transaction
        if job.status == ImportStatus.RUNNING:  # the pipeline always decides; never leave it
            job.status = ImportStatus.FAILED
        finish(job, run.report if run is not None else None, address=address)
    return job
