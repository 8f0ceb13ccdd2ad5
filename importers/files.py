"""Uploads to readable files: size limits, safe unzipping, content-vs-extension checks.

``unpack(upload, workdir, ...)`` returns the path of the main data file:

* a plain file is checked where it is (a ``.shp`` needs its ``.shx``/``.dbf`` beside it);
* a ``.zip`` (a Shapefile set, or one file of a supported type) or ``.kmz`` is extracted
  into ``workdir`` and the main file chosen: the only data file (for a KMZ ``doc.kml``, or
  its only ``.kml``); ``member=`` names one when there are several.

Extraction is defensive, checking every member before writing anything and counting the
bytes actually written (a zip's header may lie about sizes):

* no absolute paths, drive letters, ``..`` components, symbolic links, NUL bytes,
  encrypted members or two members with the same name;
* at most ``max_files`` members and ``max_bytes`` uncompressed in total (the same limit as
  the upload itself), and no member larger than ``RATIO_FLOOR`` bytes compressed more than
  ``max_ratio`` times (a zip bomb); no archives inside the archive;
* member names without the zip's UTF-8 flag (Windows zips) are decoded as UTF-8 if they
  are valid UTF-8, else as GB18030, else as the zip standard's CP437.

Every refusal is an ``ImportFileError`` whose message names the problem and the member.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Final

from .readers import ARCHIVE_EXTENSIONS, supported_extensions, unsupported_message
from .readers._sniff import check_content
from .readers.base import ImportFileError

MAX_BYTES: Final = 1024 * 1024 * 1024  # 1 GiB: upload size, and total unpacked size
MAX_FILES: Final = 1000
MAX_RATIO: Final = 250  # legitimate data seldom exceeds ~60:1 (a padded DBF); zeros ~1000:1
RATIO_FLOOR: Final = 1024 * 1024  # small members may compress extremely well; ignore them
_COPY_CHUNK: Final = 1024 * 1024
_NESTED: Final = (".zip", ".kmz", ".rar", ".7z", ".gz", ".tgz", ".tar", ".bz2", ".xz")
_SIDECARS: Final = frozenset(
    {".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx", ".qix", ".xml", ".qmd", ".fix"}
)
_IGNORED_NAMES: Final = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def unpack(
    upload_path: Path,
    workdir: Path,
    *,
    max_bytes: int = MAX_BYTES,
    max_files: int = MAX_FILES,
    max_ratio: float = MAX_RATIO,
    member: str | None = None,
) -> Path:
    """The main data file of an upload (see the module docstring); ImportFileError if refused."""
    upload_path = Path(upload_path)
    if not upload_path.is_file():
        raise ImportFileError(f"{upload_path.name} does not exist or is not a file.")
    size = upload_path.stat().st_size
    if size > max_bytes:
        raise ImportFileError(
            f"{upload_path.name} is {_size(size)}; the limit is {_size(max_bytes)}."
        )
    if size == 0:
        raise ImportFileError(f"{upload_path.name} is empty (0 bytes).")
    extension = upload_path.suffix.lower()
    if extension in ARCHIVE_EXTENSIONS:
        check_content(upload_path)
        members = _extract(upload_path, Path(workdir), max_bytes, max_files, max_ratio)
        main = _choose(upload_path, members, member, kmz=extension == ".kmz")
    elif extension in supported_extensions():
        main = upload_path
    else:
        raise ImportFileError(unsupported_message(upload_path))
    check_content(main)
    if main.suffix.lower() == ".xlsx":
        check_zip_limits(main, max_bytes, max_files, max_ratio)
    return main


def check_zip_limits(path: Path, max_bytes: int, max_files: int, max_ratio: float) -> None:
    """Refuse a zip-based file (archive, .xlsx) whose declared content breaks the limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"{path.name} is not a valid zip file: {exc}.") from None
    if len(infos) > max_files:
        raise ImportFileError(
            f"{path.name} holds {len(infos):,} files; the limit is {max_files:,}."
        )
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise ImportFileError(
            f"{path.name} would unpack to {_size(total)}; the limit is {_size(max_bytes)} "
            "(a zip bomb, or simply too much data for one import)."
        )
    for info in infos:
        if info.file_size > RATIO_FLOOR:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > max_ratio:
                raise ImportFileError(
                    f"{path.name}: member {info.filename!r} is compressed {ratio:,.0f} times "
                    f"({_size(info.compress_size)} -> {_size(info.file_size)}); more than "
                    f"{max_ratio:,.0f} times looks like a zip bomb and is refused."
                )


def _member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _safe_parts(archive: Path, name: str, info: zipfile.ZipInfo) -> tuple[str, ...]:
    """The member's path components; ImportFileError for anything that could escape."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ImportFileError(f"{archive.name}: member {name!r} is a symbolic link; refused.")
    if "\x00" in name:
        raise ImportFileError(f"{archive.name}: member {name!r} has a NUL in its name; refused.")
    if info.flag_bits & 0x1:
        raise ImportFileError(
            f"{archive.name}: member {name!r} is encrypted; upload an archive without a password."
        )
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        raise ImportFileError(
            f"{archive.name}: member {name!r} has an absolute path; refused (path traversal)."
        )
    parts = tuple(p for p in PurePosixPath(normalised).parts if p not in ("", "."))
    if ".." in parts:
        raise ImportFileError(
            f"{archive.name}: member {name!r} points outside the archive ('..'); refused "
            "(path traversal)."
        )
    return parts


def _ignored(parts: tuple[str, ...]) -> bool:
    return (
        parts[0] == "__MACOSX" or parts[-1].startswith("._") or parts[-1].lower() in _IGNORED_NAMES
    )


def _extract(
    archive: Path, workdir: Path, max_bytes: int, max_files: int, max_ratio: float
) -> list[Path]:
    check_zip_limits(archive, max_bytes, max_files, max_ratio)
    workdir.mkdir(parents=True, exist_ok=True)
    root = workdir.resolve()
    written: list[Path] = []
    total = 0
    with zipfile.ZipFile(archive) as zf:
        plan: list[tuple[zipfile.ZipInfo, Path]] = []
        seen: set[str] = set()
        for info in zf.infolist():
            name = _member_name(info)
            parts = _safe_parts(archive, name, info)
            if not parts or info.is_dir() or _ignored(parts):
                continue
            if PurePosixPath(parts[-1]).suffix.lower() in _NESTED:
                raise ImportFileError(
                    f"{archive.name}: member {name!r} is itself an archive; nested archives are "
                    "not unpacked. Upload the inner file (or its contents) directly."
                )
            key = "/".join(parts).lower()
            if key in seen:
                raise ImportFileError(f"{archive.name} holds two members named {name!r}.")
            seen.add(key)
            target = root.joinpath(*parts)
            if not target.resolve().is_relative_to(root):
                raise ImportFileError(f"{archive.name}: member {name!r} escapes; refused.")
            plan.append((info, target))
        for info, target in plan:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as source, target.open("xb") as sink:
                    written.append(target)
                    while chunk := source.read(_COPY_CHUNK):
                        total += len(chunk)
                        if total > max_bytes:
                            raise ImportFileError(
                                f"{archive.name} unpacks to more than {_size(max_bytes)}; "
                                "refused (zip bomb, or too much data for one import)."
                            )
                        sink.write(chunk)
            except FileExistsError:
                raise ImportFileError(
                    f"{archive.name}: {target.name} already exists in the work folder."
                ) from None
            except ImportFileError:
                _remove(written)
                raise
            except (zipfile.BadZipFile, OSError, EOFError) as exc:  # CRC errors, cut archives
                _remove(written)
                raise ImportFileError(f"{archive.name} is damaged: {exc}.") from None
    return written


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _choose(archive: Path, members: list[Path], wanted: str | None, *, kmz: bool) -> Path:
    if not members:
        raise ImportFileError(f"{archive.name} contains no files.")
    if wanted:
        for path in members:
            if path.name == wanted or path.as_posix().endswith("/" + wanted.lstrip("/")):
                return path
        raise ImportFileError(f"{archive.name} has no member {wanted!r}.", field="member")
    if kmz:
        kmls = [p for p in members if p.suffix.lower() == ".kml"]
        doc = [p for p in kmls if p.name.lower() == "doc.kml"]
        if doc or len(kmls) == 1:
            return (doc or kmls)[0]
        raise ImportFileError(f"{archive.name} is a KMZ without a doc.kml (or a single .kml).")
    readable = set(supported_extensions())
    data = [
        p for p in members if p.suffix.lower() in readable and p.suffix.lower() not in _SIDECARS
    ]
    if len(data) == 1:
        return data[0]
    if not data:
        found = ", ".join(sorted({p.suffix.lower() or p.name for p in members}))
        raise ImportFileError(
            f"{archive.name} holds no file of a supported type (found: {found}). "
            + unsupported_message(members[0])
        )
    names = ", ".join(sorted(p.name for p in data))
    raise ImportFileError(
        f"{archive.name} holds {len(data)} data files ({names}); upload one at a time or "
        "name one with the member option.",
        field="member",
    )
