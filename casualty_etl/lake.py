"""The Parquet lake: validated frames in, whole batches of files out, crash-safe and idempotent.

Contract: ``Lake(root).commit_batch(frames, batch_key=..., run_id=...) -> CommitResult`` stores the rows
of one validated batch that the lake does not hold yet, as new whole files, and appends one ledger row
to ``runs``. ``Lake.known_article_ids(version)`` tells which articles are stored, ``Lake.sweep_stale()``
finishes or removes what a killed writer left, ``load_figures(root, ...)`` is the analysts' entry point.

Layout (``root`` is a local path or an fsspec URL)::

    <root>/articles/published_month=2024-03/part-<hash>-<version>.parquet
    <root>/figures/published_month=unknown/part-<hash>-<version>.parquet   (no publication date)
    <root>/rejects/part-<hash>-<version>.parquet
    <root>/runs/part-<hash>-<version>.parquet                              (the ledger)
    <root>/_pending/<hash>.json   commit intent, present only while a batch is being published
    <root>/_lock                  lock file of local writers
    <root>/_lake_id               this lake's identity (a random id written once; see ``Lake.identity``)
    <root>/_schema                fingerprint of the table schemas the stored files were brought to

Readers (``pd.read_parquet``, pyarrow datasets) skip names starting with ``.`` or ``_``. A plain
``pd.read_parquet("<root>/figures")`` gives category-like columns as categoricals, counts as ``Int64``,
timestamps as ``datetime64[us, UTC]`` (microseconds on purpose: Parquet's native unit and pandas 3's
parsing unit, with no year-2262 limit), list columns as numpy arrays, and ``published_month`` as a
categorical; pass ``partitioning=casualty_etl.tables.PARTITIONING`` to get it as a string.
``filters=[("published_month", "=", "2024-03")]`` reads only that folder.

Commit protocol: check the frames' columns and dtypes against the pandera models (schema drift raises
here, before anything is written); then, under the lock: roll forward pending intents; drop articles
already stored for this extractor version (with their figures) and rejects already stored; write every
file of the batch to a hidden temporary name, flushed and fsynced; write the intent (temp -> final
names): the commit point; rename each file into place (figures, rejects, articles, then the ledger row);
delete the intent. File names come from the content hash and the extractor version, so a retried batch
replaces its own files. Stored rows are never rewritten: re-extracting with the same extractor version
adds nothing, a new version is stored alongside (tell them apart by ``extractor_version``). The one
exception is the schema: when a table gains a column, ``sweep_stale`` (start of every run) rewrites each
older file whole with that column null, values unchanged, so that a plain ``pd.read_parquet`` of the
folder, which takes its columns from one file, never drops it (``Lake.upgrade_files``).
A writer killed before the intent leaves only hidden temporary files (``sweep_stale`` deletes them); one
killed after it leaves an intent that the next commit or ``sweep_stale`` completes. Until then a reader
may see part of that batch (figures before their articles): the only window where tables are not whole
batches.

Limits: the lock is ``fcntl.flock`` on ``<root>/_lock``: good for processes on one machine, not for
NFS. On other fsspec filesystems (``memory://``, object stores) the lock only excludes threads of one
process and a rename is a copy then delete: run one writer per lake there. Every write holds the lock,
so concurrent writers take turns.

Deliberately not here: validation of the data (``casualty_etl.validate``), Prefect.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem
from pandera.config import ValidationDepth, config_context
from pandera.errors import SchemaError, SchemaErrors

from casualty_etl.tables import (
    PARTITION_COLUMN,
    PARTITIONING,
    TABLES,
    Frames,
    TableSpec,
    empty_frame,
    frame_from_arrow,
    model_dtypes,
    to_arrow,
    typed_frame,
)
from schemas import RunsSchema, TableName

PENDING_DIR = "_pending"
LOCK_FILE = "_lock"
IDENTITY_FILE = "_lake_id"
#: The fingerprint of the file schemas every stored file was last brought to (see ``Lake.upgrade_files``).
SCHEMA_FILE = "_schema"
TEMP_SUFFIX = ".tmp"
#: Order in which a batch's files are renamed into place: articles after their figures, so an article
#: that counts as known always has its figures stored; the ledger row last.
PUBLISH_ORDER = (TableName.FIGURES, TableName.REJECTS, TableName.ARTICLES, TableName.RUNS)

#: The id column of each data table: what "already stored" means.
KEY_COLUMNS = {
    TableName.ARTICLES: "article_id",
    TableName.FIGURES: "figure_id",
    TableName.REJECTS: "reject_id",
}

#: Called with the name of each step of a commit ("temps_written", "intent_written", "published:<n>",
#: "done"): a fault-injection point for crash tests, a no-op otherwise.
CommitStepHook = Callable[[str], None]


class SchemaDriftError(ValueError):
    """Frames handed to ``commit_batch`` do not match the table models: nothing was written."""


@dataclass(frozen=True)
class CommitResult:
    """What one ``commit_batch`` stored. ``committed`` is False when every row was already stored."""

    batch_key: str
    run_id: str
    committed: bool
    content_hash: str | None
    files: tuple[str, ...]  # relative to the root, in publish order (the ledger file last)
    n_articles: int
    n_figures: int
    n_rejects: int
    n_skipped_articles: int  # already stored for this extractor version


@dataclass(frozen=True)
class SweepResult:
    """What ``sweep_stale`` repaired: batches completed from their intent, temporary files removed."""

    rolled_forward: tuple[str, ...]
    removed_temp_files: tuple[str, ...]
    missing_files: tuple[str, ...]  # named by an intent but found neither as temp nor in place
    upgraded_files: tuple[str, ...] = ()  # older files given the columns added since (null there)


@dataclass(frozen=True)
class _PlannedFile:
    table: TableName
    final: str
    temp: str
    data: bytes


# --- storage ------------------------------------------------------------------------------------------


def _join(*parts: str) -> str:
    return "/".join(part.strip("/") for part in parts if part.strip("/"))


class _Storage:
    """Files under the lake root, addressed by '/'-separated paths relative to it."""

    def __init__(self, fs: fsspec.AbstractFileSystem, root_path: str) -> None:
        self.fs = fs
        self.root_path = root_path.rstrip("/") or "/"

    def full(self, rel: str) -> str:
        return f"{self.root_path}/{rel}" if rel else self.root_path

    def write(self, rel: str, data: bytes) -> None:
        self.fs.makedirs(self.full(rel.rsplit("/", 1)[0]) if "/" in rel else self.root_path, exist_ok=True)
        with self.fs.open(self.full(rel), "wb") as handle:
            handle.write(data)

    def replace(self, src: str, dst: str) -> None:
        self.fs.mv(self.full(src), self.full(dst))

    def read(self, rel: str) -> bytes:
        with self.fs.open(self.full(rel), "rb") as handle:
            return handle.read()

    def exists(self, rel: str) -> bool:
        return self.fs.exists(self.full(rel))

    def remove(self, rel: str) -> None:
        self.fs.rm(self.full(rel))

    def files(self, rel: str = "") -> list[str]:
        """Every file below ``rel``, hidden ones included, relative to the root."""
        base = self.full(rel)
        if not self.fs.exists(base):
            return []
        prefix = self.root_path.rstrip("/") + "/"
        found = self.fs.find(base, withdirs=False)
        return sorted(path[len(prefix) :] if path.startswith(prefix) else path for path in found)

    def arrow(self) -> tuple[pafs.FileSystem, str]:
        return pafs.PyFileSystem(pafs.FSSpecHandler(self.fs)), self.root_path

    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        key = (self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0], self.root_path)
        with _PROCESS_LOCKS_GUARD:
            process_lock = _PROCESS_LOCKS.setdefault(key, threading.Lock())
        if not process_lock.acquire(timeout=timeout):
            raise TimeoutError(f"lake {self.root_path} stayed locked for {timeout} s")
        try:
            yield
        finally:
            process_lock.release()


_PROCESS_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


class _LocalStorage(_Storage):
    """Local files: fsynced writes, atomic ``os.replace``, ``fcntl.flock`` between processes."""

    def write(self, rel: str, data: bytes) -> None:
        path = self.full(rel)
        self._makedirs(os.path.dirname(path))
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def replace(self, src: str, dst: str) -> None:
        target = self.full(dst)
        self._makedirs(os.path.dirname(target))
        os.replace(self.full(src), target)
        _fsync_dir(os.path.dirname(target))

    def remove(self, rel: str) -> None:
        os.remove(self.full(rel))

    def files(self, rel: str = "") -> list[str]:
        base = self.full(rel)
        found = []
        for folder, _, names in os.walk(base):
            found += [os.path.relpath(os.path.join(folder, name), self.root_path) for name in names]
        return sorted(path.replace(os.sep, "/") for path in found)

    def arrow(self) -> tuple[pafs.FileSystem, str]:
        return pafs.LocalFileSystem(), self.root_path

    @staticmethod
    def _makedirs(path: str) -> None:
        missing = []
        while path and not os.path.isdir(path):
            missing.append(path)
            path = os.path.dirname(path)
        for folder in reversed(missing):
            os.makedirs(folder, exist_ok=True)
            _fsync_dir(os.path.dirname(folder))

    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        self._makedirs(self.root_path)
        descriptor = os.open(self.full(LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"lake {self.root_path} stayed locked for {timeout} s") from None
                    time.sleep(0.02)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock


def _fsync_dir(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _storage_for(root: str) -> _Storage:
    fs, path = fsspec.core.url_to_fs(root)
    if isinstance(fs, LocalFileSystem):
        return _LocalStorage(fs, os.path.abspath(path))
    return _Storage(fs, path)


# --- hashing and names ----------------------------------------------------------------------------------


def _ids_hash(ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


def _version_slug(extractor_version: str) -> str:
    return re.sub(r"[^0-9A-Za-z.]+", "_", extractor_version)


@functools.cache
def _schema_fingerprint() -> str:
    """A digest of every table's file schema (column names and Arrow types)."""
    described = {
        spec.name.value: [(field.name, str(field.type)) for field in spec.file_schema]
        for spec in TABLES.values()
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode("utf-8")).hexdigest()


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _is_temp(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def _temp_name(final: str) -> str:
    folder, _, name = final.rpartition("/")
    return _join(folder, f".{name}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}")


def _utc_timestamp(moment: datetime | str | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@functools.cache
def _model_dtypes(table: TableName) -> tuple[tuple[str, object], ...]:
    return tuple(model_dtypes(TABLES[table].model).items())


def _conforming(table: TableName, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame coerced to its model, checking the schema only (columns, dtypes): the data checks
    already ran in ``validate_frames``, this guards against frames that did not come from there.
    A frame whose columns and dtypes are already the model's (every validated one) is returned as
    it is, without pandera's fixed cost of about 20 ms a table."""
    expected = _model_dtypes(table)
    if tuple(frame.columns) == tuple(name for name, _ in expected) and all(
        frame[name].dtype == dtype for name, dtype in expected
    ):
        return frame
    try:
        with config_context(validation_depth=ValidationDepth.SCHEMA_ONLY):
            return TABLES[table].model.validate(frame, lazy=False)
    except (SchemaError, SchemaErrors) as error:
        raise SchemaDriftError(f"{table.value}: frame does not match its model: {error}") from error


# --- the lake -------------------------------------------------------------------------------------------


class Lake:
    """One lake at ``root`` (local path or fsspec URL). Cheap to create; holds no open files."""

    def __init__(
        self, root: str, *, lock_timeout: float = 600.0, on_commit_step: CommitStepHook | None = None
    ) -> None:
        self.root = root.rstrip("/")
        self.lock_timeout = lock_timeout
        self._storage = _storage_for(root)
        self._on_commit_step = on_commit_step

    def table_path(self, table: TableName | str) -> str:
        """Where analysts point ``pd.read_parquet`` for ``table``."""
        return f"{self.root}/{TableName(table).value}"

    # --- reading

    def read_table(
        self,
        table: TableName | str,
        *,
        columns: Sequence[str] | None = None,
        filter: ds.Expression | None = None,
    ) -> pd.DataFrame:
        """Rows of one table as a frame in the model's dtypes (empty, typed, when nothing is stored)."""
        spec = TABLES[TableName(table)]
        dataset = self._dataset(spec)
        if dataset is None:
            frame = empty_frame(spec.model)
            return frame if columns is None else frame[list(columns)]
        arrow_table = dataset.to_table(columns=list(columns) if columns else None, filter=filter)
        return frame_from_arrow(arrow_table, spec)

    def _dataset(self, spec: TableSpec) -> ds.Dataset | None:
        filesystem, root_path = self._storage.arrow()
        path = f"{root_path}/{spec.name.value}"
        if not self._storage.exists(spec.name.value):
            return None
        return ds.dataset(
            path,
            filesystem=filesystem,
            format="parquet",
            schema=spec.dataset_schema,
            partitioning=PARTITIONING if spec.partition_columns else None,
        )

    def _known_ids(
        self,
        table: TableName,
        column: str,
        extractor_version: str | None,
        among: Sequence[str] | None = None,
    ) -> set[str]:
        condition = None
        if extractor_version is not None:
            condition = ds.field("extractor_version") == extractor_version
        if among is not None:
            if not among:
                return set()
            wanted = ds.field(column).isin(list(among))
            condition = wanted if condition is None else condition & wanted
        return set(self.read_table(table, columns=[column], filter=condition)[column])

    def known_article_ids(
        self, extractor_version: str | None, among: Sequence[str] | None = None
    ) -> set[str]:
        """Ids of the articles stored for this extractor version, or for any version when None;
        with ``among``, only which of those ids are stored (memory stays flat as the lake grows)."""
        return self._known_ids(TableName.ARTICLES, "article_id", extractor_version, among)

    def known_entry_ids(self) -> set[str]:
        """Feed entry ids of the stored articles (any extractor version): an hourly run over the
        same feed fetches only entries it has not seen."""
        frame = self.read_table(TableName.ARTICLES, columns=["entry_id"])
        return {str(e) for e in frame["entry_id"] if isinstance(e, str) and e}

    def runs(self) -> pd.DataFrame:
        """The ledger: one row per committed batch, oldest first."""
        return self.read_table(TableName.RUNS).sort_values("committed_at", ignore_index=True)

    # --- repairing

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """The lake's writer lock, for other writers of the lake (the derived tables of ``aggregate``):
        no batch commit and no sweep runs while it is held."""
        with self._storage.lock(self.lock_timeout):
            yield

    def identity(self) -> str:
        """A random id written into the lake the first time it is asked for, then read back: a lake
        deleted and made again has a new identity. Caches of finished batches (the flow's) are keyed on
        it, so they never outlive the lake they describe."""
        if self._storage.exists(IDENTITY_FILE):
            return self._storage.read(IDENTITY_FILE).decode("ascii").strip()
        with self._storage.lock(self.lock_timeout):
            if not self._storage.exists(IDENTITY_FILE):
                self._storage.write(IDENTITY_FILE, uuid.uuid4().hex.encode("ascii"))
            return self._storage.read(IDENTITY_FILE).decode("ascii").strip()

    def articles_committed_by(self, run_id: str, batch_key: str) -> set[str]:
        """Ids of the articles that ``run_id`` has already committed for ``batch_key`` (empty if none),
        after completing any commit of the lake that was interrupted past its commit point.

        A retried batch subtracts them from the lake's known ids, so that it is counted as it was the
        first time rather than as a batch of articles already in the lake."""
        with self._storage.lock(self.lock_timeout):
            self._roll_forward()
        earlier = self._committed_by(run_id, batch_key)
        prefix = TableName.ARTICLES.value + "/"
        paths = [rel for rel in (earlier.files if earlier else ()) if rel.startswith(prefix)]
        if not paths:
            return set()
        filesystem, root_path = self._storage.arrow()
        files = ds.dataset([f"{root_path}/{rel}" for rel in paths], filesystem=filesystem, format="parquet")
        return {str(i) for i in files.to_table(columns=["article_id"]).column("article_id").to_pylist()}

    def sweep_stale(self) -> SweepResult:
        """Complete the batches whose intent was written, delete every other temporary file.

        Call at the start of a run. Takes the lock, so it never touches a live local commit.
        """
        with self._storage.lock(self.lock_timeout):
            rolled, missing = self._roll_forward()
            removed = [rel for rel in self._storage.files() if _is_temp(rel)]
            for rel in removed:
                self._storage.remove(rel)
            upgraded = self._upgrade_files()
        return SweepResult(tuple(rolled), tuple(removed), tuple(missing), tuple(upgraded))

    def upgrade_files(self) -> tuple[str, ...]:
        """Give every stored file written before a column was added to its table that column, null
        (files relative to the root). Run by ``sweep_stale``, so at the start of every run.

        Why: a dataset reader (``pd.read_parquet(folder)``, pyarrow) takes its schema from one file and
        silently drops the columns that file lacks, so a lake mixing older and newer files would lose
        new columns in the analysts' hands. Each older file is rewritten whole under its own name
        (hidden temporary file, fsynced, renamed over it): its rows and values do not change, and a crash
        leaves every file in its old or its new form, both readable; the next run goes on. A file with a
        column the model does not know (written by a newer version) is left as it is. The fingerprint of
        the schemas the files were brought to is kept in ``_schema``, so a lake that is up to date costs
        one small read."""
        with self._storage.lock(self.lock_timeout):
            return tuple(self._upgrade_files())

    def _upgrade_files(self) -> list[str]:
        fingerprint = _schema_fingerprint()
        if (
            self._storage.exists(SCHEMA_FILE)
            and self._storage.read(SCHEMA_FILE).decode("ascii") == fingerprint
        ):
            return []
        filesystem, root_path = self._storage.arrow()
        upgraded = []
        for spec in TABLES.values():
            wanted = spec.file_schema
            for rel in self._storage.files(spec.name.value):
                if not rel.endswith(".parquet") or rel.rsplit("/", 1)[-1].startswith((".", "_")):
                    continue
                path = f"{root_path}/{rel}"
                names = set(pq.read_schema(path, filesystem=filesystem).names)
                if names == set(wanted.names) or not names < set(wanted.names):
                    continue  # up to date, or from a newer model: never drop a column
                old = ds.dataset(path, filesystem=filesystem, format="parquet", schema=wanted).to_table()
                temp = _temp_name(rel)
                self._storage.write(temp, _parquet_bytes(to_arrow(frame_from_arrow(old, spec), spec)))
                self._storage.replace(temp, rel)
                upgraded.append(rel)
        self._storage.write(SCHEMA_FILE, fingerprint.encode("ascii"))
        return upgraded

    def _roll_forward(self) -> tuple[list[str], list[str]]:
        rolled: list[str] = []
        missing: list[str] = []
        for rel in self._storage.files(PENDING_DIR):
            if _is_temp(rel) or not rel.endswith(".json"):
                continue
            intent = json.loads(self._storage.read(rel))
            for temp, final in intent["moves"]:
                if self._storage.exists(temp):
                    self._storage.replace(temp, final)
                elif not self._storage.exists(final):
                    missing.append(final)
            self._storage.remove(rel)
            rolled.append(intent["content_hash"])
        return rolled, missing

    # --- writing

    def _step(self, name: str) -> None:
        if self._on_commit_step is not None:
            self._on_commit_step(name)

    def commit_batch(
        self,
        frames: Frames,
        *,
        batch_key: str,
        run_id: str,
        pipeline_seconds: float | None = None,
    ) -> CommitResult:
        """Store the rows of a validated batch that the lake does not hold yet (see the module contract).

        ``batch_key`` names the batch in the ledger (e.g. its sources); ``pipeline_seconds`` is the time the
        caller spent producing it. Raises ``SchemaDriftError`` for frames that do not match the table
        models (frames not produced by ``validate_frames``), before writing anything.
        """
        conforming = {
            TableName.ARTICLES: _conforming(TableName.ARTICLES, frames.articles),
            TableName.FIGURES: _conforming(TableName.FIGURES, frames.figures),
            TableName.REJECTS: _conforming(TableName.REJECTS, frames.rejects),
        }
        waiting_since = time.monotonic()
        with self._storage.lock(self.lock_timeout):
            lock_wait = time.monotonic() - waiting_since
            started = time.monotonic()
            self._roll_forward()
            new = self._not_stored(conforming, frames.extractor_version, run_id)
            n_skipped = len(frames.articles) - len(new[TableName.ARTICLES])
            if all(frame.empty for frame in new.values()):
                earlier = self._committed_by(run_id, batch_key)
                if earlier is not None:
                    return earlier  # a retry of a commit of this run that had passed its commit point
                return CommitResult(batch_key, run_id, False, None, (), 0, 0, 0, n_skipped)

            hashes = {table: _ids_hash(list(frame[KEY_COLUMNS[table]])) for table, frame in new.items()}
            content_hash = _ids_hash([frames.extractor_version, *hashes.values()])
            file_name = f"part-{content_hash[:32]}-{_version_slug(frames.extractor_version)}.parquet"
            planned = [
                item for table, frame in new.items() for item in self._plan(TABLES[table], frame, file_name)
            ]
            try:
                for item in planned:
                    self._storage.write(item.temp, item.data)
            except BaseException:
                self._discard_temps(planned, content_hash)
                raise
            ledger = typed_frame(
                RunsSchema,
                {
                    "run_id": [run_id],
                    "batch_key": [batch_key],
                    "content_hash": [content_hash],
                    "committed_at": [datetime.now(UTC)],
                    "extractor_version": [frames.extractor_version],
                    "n_articles": [len(new[TableName.ARTICLES])],
                    "n_figures": [len(new[TableName.FIGURES])],
                    "n_rejects": [len(new[TableName.REJECTS])],
                    "n_skipped_articles": [n_skipped],
                    "articles_hash": [hashes[TableName.ARTICLES]],
                    "figures_hash": [hashes[TableName.FIGURES]],
                    "rejects_hash": [hashes[TableName.REJECTS]],
                    "files": [[item.final for item in planned]],
                    "pipeline_seconds": [pipeline_seconds],
                    "lock_wait_seconds": [lock_wait],
                    "write_seconds": [time.monotonic() - started],
                },
            )
            ledger_file = self._plan(TABLES[TableName.RUNS], RunsSchema.validate(ledger), file_name)
            planned += ledger_file
            try:
                self._storage.write(ledger_file[0].temp, ledger_file[0].data)
                self._step("temps_written")
                self._publish(planned, content_hash, batch_key)
            except BaseException:
                self._discard_temps(planned, content_hash)
                raise
        return CommitResult(
            batch_key=batch_key,
            run_id=run_id,
            committed=True,
            content_hash=content_hash,
            files=tuple(item.final for item in planned),
            n_articles=len(new[TableName.ARTICLES]),
            n_figures=len(new[TableName.FIGURES]),
            n_rejects=len(new[TableName.REJECTS]),
            n_skipped_articles=n_skipped,
        )

    def _committed_by(self, run_id: str, batch_key: str) -> CommitResult | None:
        """The ledger's record of this batch committed by this run, if any."""
        condition = (ds.field("run_id") == run_id) & (ds.field("batch_key") == batch_key)
        rows = self.read_table(TableName.RUNS, filter=condition)
        if rows.empty:
            return None
        row = rows.iloc[-1]
        return CommitResult(
            batch_key=batch_key,
            run_id=run_id,
            committed=True,
            content_hash=str(row["content_hash"]),
            files=tuple(row["files"]),
            n_articles=int(row["n_articles"]),
            n_figures=int(row["n_figures"]),
            n_rejects=int(row["n_rejects"]),
            n_skipped_articles=int(row["n_skipped_articles"]),
        )

    def _not_stored(
        self, frames: dict[TableName, pd.DataFrame], extractor_version: str, run_id: str
    ) -> dict[TableName, pd.DataFrame]:
        """The rows the lake does not hold yet: new articles with their figures, new rejects (run id set)."""
        articles = frames[TableName.ARTICLES]
        stored = self.known_article_ids(extractor_version, among=list(articles["article_id"]))
        articles = articles[~articles["article_id"].isin(stored)]
        figures = frames[TableName.FIGURES]
        figures = figures[figures["article_id"].isin(articles["article_id"])]
        rejects = frames[TableName.REJECTS]
        known_rejects = self._known_ids(
            TableName.REJECTS, "reject_id", extractor_version, list(rejects["reject_id"])
        )
        rejects = rejects[~rejects["reject_id"].isin(known_rejects)].copy()
        rejects["run_id"] = rejects["run_id"].fillna(run_id)
        return {TableName.ARTICLES: articles, TableName.FIGURES: figures, TableName.REJECTS: rejects}

    def _discard_temps(self, planned: list[_PlannedFile], content_hash: str) -> None:
        """After a failure before the commit point, remove this commit's temporary files (a failure
        after it leaves the intent, which the next commit or ``sweep_stale`` completes)."""
        if self._storage.exists(_join(PENDING_DIR, f"{content_hash}.json")):
            return
        for item in planned:
            try:
                if self._storage.exists(item.temp):
                    self._storage.remove(item.temp)
            except OSError:
                pass  # sweep_stale removes what is left

    def _publish(self, planned: list[_PlannedFile], content_hash: str, batch_key: str) -> None:
        """Write the intent (the commit point), rename every temporary file into place, drop the intent."""
        planned = sorted(planned, key=lambda item: PUBLISH_ORDER.index(item.table))
        intent = _join(PENDING_DIR, f"{content_hash}.json")
        intent_temp = _temp_name(intent)
        moves = [[item.temp, item.final] for item in planned]
        payload = json.dumps({"content_hash": content_hash, "batch_key": batch_key, "moves": moves})
        self._storage.write(intent_temp, payload.encode("utf-8"))
        self._storage.replace(intent_temp, intent)
        self._step("intent_written")
        for number, item in enumerate(planned, start=1):
            self._storage.replace(item.temp, item.final)
            self._step(f"published:{number}")
        self._storage.remove(intent)
        self._step("done")

    def _plan(self, spec: TableSpec, frame: pd.DataFrame, file_name: str) -> list[_PlannedFile]:
        """One file per partition of ``frame`` (none for an empty frame)."""
        if frame.empty:
            return []
        if not spec.partition_columns:
            final = _join(spec.name.value, file_name)
            return [_PlannedFile(spec.name, final, _temp_name(final), _parquet_bytes(to_arrow(frame, spec)))]
        planned = []
        for month, part in frame.groupby(PARTITION_COLUMN, sort=True):
            final = _join(spec.name.value, f"{PARTITION_COLUMN}={month}", file_name)
            planned.append(
                _PlannedFile(spec.name, final, _temp_name(final), _parquet_bytes(to_arrow(part, spec)))
            )
        return planned


# --- analysts --------------------------------------------------------------------------------------------

#: Article columns that ``load_figures`` adds to each figure (``source`` is renamed ``article_source``,
#: since a figure's own ``source`` is who gave the figure).
ARTICLE_METADATA = ("title", "url", "published_at", "source")


def load_figures(
    lake_root: str,
    *,
    categories: Sequence[str] | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    extractor_version: str | None = None,
) -> pd.DataFrame:
    """Figures with their article's title, url, published_at and source (as ``article_source``).

    ``since <= published_at < until`` (naive times are UTC; a bound excludes articles without a date);
    only the month folders in range are read. ``extractor_version=None`` returns every version: tell them
    apart by the ``extractor_version`` column.
    """
    lake = Lake(lake_root)
    common: ds.Expression | None = None

    def both(extra: ds.Expression) -> None:
        nonlocal common
        common = extra if common is None else common & extra

    if extractor_version is not None:
        both(ds.field("extractor_version") == extractor_version)
    if since is not None:
        since = _utc_timestamp(since)
        both(ds.field(PARTITION_COLUMN) >= since.strftime("%Y-%m"))
    if until is not None:
        until = _utc_timestamp(until)
        both(ds.field(PARTITION_COLUMN) <= until.strftime("%Y-%m"))

    figure_filter = common
    if categories is not None:
        wanted = ds.field("category").isin([str(category) for category in categories])
        figure_filter = wanted if figure_filter is None else figure_filter & wanted
    figures = lake.read_table(TableName.FIGURES, filter=figure_filter)
    articles = lake.read_table(
        TableName.ARTICLES, columns=["article_id", "extractor_version", *ARTICLE_METADATA], filter=common
    ).rename(columns={"source": "article_source"})
    joined = figures.merge(
        articles, on=["article_id", "extractor_version"], how="inner", validate="many_to_one", sort=False
    )
    if since is not None:
        joined = joined[joined["published_at"] >= since]
    if until is not None:
        joined = joined[joined["published_at"] < until]
    return joined.reset_index(drop=True)
