"""The import pipeline: file -> mapped, reprojected, validated, deduplicated, loaded.

One ``run_import`` call is one recorded run (``ImportJob``), a dry run or a commit:

1. **Open** the file with the reader for its format (``importers.readers``) and decide the
   CRS: the explicit option, else what the file declares (``SourceInfo.crs``), else the run
   is refused with a message saying how to give one. Nothing is guessed.
2. **Per batch**, vectorised (numpy arrays of shapely geometries, one SQL round trip per
   step), in five stages: map the attributes (``importers.mapping``); convert the
   coordinates to CGCS2000 (``gis_app.coords``), check them against the platform's areas
   (a longitude of 1120.17 is reported with a hint, not loaded), validate and repair
   geometries, promote single / multi types to what the class allows; find community and
   grid cell (``importers.locate``) and the existing components nearby; match existing
   components (identifier, source key, or the same class within the tolerance, in
   metres), check the user's right to create or change each row (``gis_app.access``), and
   drop duplicates inside the file (kept: the first); count, report and stage. Valid rows
   are COPYed into session staging tables as they come (commits only).
3. **Report** (``importers.report``): counts by class and outcome, per-row errors with row
   and field, duplicates, repairs, a sample of 10 resulting features, the CRS and encoding
   decisions. Rejected rows are written to a CSV kept with the job.
4. **Commit** in one transaction: identifiers reserved per county and class, the staged
   rows inserted (``INSERT ... SELECT``, every constraint and trigger applies) and updated
   (version-checked), history and one audit event. Any database error rolls everything
   back and marks the job failed. Without ``skip_invalid`` a single invalid row refuses
   the whole file; with it, only the valid rows are loaded and the rest are downloadable.

The modules, one concern each:

- ``options``: ``ImportOptions``, ``ImportRefused``, the outcome names;
- ``run``: ``ImportRun`` (open, decide the CRS, the batch loop, the commit) and the entry
  points ``run_import`` and ``execute_recorded``;
- ``stages``: the five stages of a batch;
- ``state``: a batch's working state, column by column (``BatchState``);
- ``geometry``: geometry checks (conversion, extent, validity, promotion, size);
- ``metric``: the metric projection and the pair searches within a tolerance;
- ``matching``: existing components a row stands for;
- ``rights``: access checks and the audit of refused rows;
- ``dedupe``: duplicates in the file and claimed components;
- ``staging``: rows encoded (EWKB, attribute JSON) and staged for the load;
- ``threads``: the read-ahead thread and the staging COPY's thread;
- ``job_record``: the job's checksum, stored outcome and audit event.

The names below are the package's public interface (the importer's command, jobs and tests
import them from here).
"""

from importers import sql
from importers.pipeline.dedupe import FileDuplicates
from importers.pipeline.geometry import check_geometries, to_storage_crs
from importers.pipeline.job_record import finish, sha256_of
from importers.pipeline.matching import NEAR_ALL_LIMIT
from importers.pipeline.options import ImportOptions, ImportRefused, Progress
from importers.pipeline.run import ImportRun, execute_recorded, run_import
from importers.pipeline.staging import AttributesJSON, ewkb_hex

__all__ = [
    "NEAR_ALL_LIMIT",
    "AttributesJSON",
    "FileDuplicates",
    "ImportOptions",
    "ImportRefused",
    "ImportRun",
    "Progress",
    "check_geometries",
    "ewkb_hex",
    "execute_recorded",
    "finish",
    "run_import",
    "sha256_of",
    "sql",
    "to_storage_crs",
]
