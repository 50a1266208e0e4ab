"""Run configuration: one TOML file (``casualty-etl.toml``), every setting overridable on the CLI.

Input: a TOML file path (or none) and command-line overrides. Output: a frozen :class:`Config`.
Unknown sections or keys, and values of the wrong type, raise :class:`ConfigError` naming the
key, so a typo never silently falls back to a default.

Sections and keys (all optional)::

    [sources]   paths = ["data/samples"]          # files, folders, feed files/URLs, .urls lists
    [lake]      root = "data/lake"                # a folder or an fsspec URL
    [run]       batch_size = 2000, runner = "thread", workers = 1, dask_address = "tcp://...",
                language = "auto"                 # or a lexicon's code ("en", "fr"): read every article in it
    [schedule]  cron = "0 * * * *", timezone = "UTC", name = "casualty-etl-scheduled"
    [fetch]     timeout_seconds, max_bytes, max_redirects, retries, per_host_concurrency,
                allow_private = false, allowed_hosts = ["127.0.0.1"]

Deliberately not here: acting on the settings (the CLI and the flow do).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_FILE = "casualty-etl.toml"


class ConfigError(ValueError):
    """The configuration file is malformed; the message names the key at fault."""


@dataclass(frozen=True, slots=True)
class FetchSettings:
    timeout_seconds: float = 20.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    retries: int = 3
    per_host_concurrency: int = 2
    allow_private: bool = False
    allowed_hosts: tuple[str, ...] = ()

    def to_policy(self):
        """The ``fetch.FetchPolicy`` these settings describe."""
        from casualty_etl.fetch import FetchPolicy

        return FetchPolicy(
            read_timeout=self.timeout_seconds,
            total_timeout=max(self.timeout_seconds * 3, self.timeout_seconds),
            max_bytes=self.max_bytes,
            max_redirects=self.max_redirects,
            retries=self.retries,
            per_host_concurrency=self.per_host_concurrency,
            allow_private=self.allow_private,
            allowed_hosts=frozenset(self.allowed_hosts),
        )


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    cron: str = "0 * * * *"
    timezone: str = "UTC"
    name: str = "casualty-etl-scheduled"


#: Documents per Prefect task. Per-batch costs (validation set-up, a Parquet file per table, a
#: task run) are about 0.2 s, so batches of 2,000 articles spend ~10 % there and 200 would spend
#: half; a batch of 2,000 4 KB articles holds about 50 MB while it is processed.
DEFAULT_BATCH_SIZE = 2000

#: Task threads of the thread runner. Extraction holds the GIL, so more threads only add memory
#: (measured on 2 cores, 10,000 articles: 1 thread 1,034/s, 2 threads 939/s, 4 threads 934/s).
DEFAULT_THREAD_WORKERS = 1


@dataclass(frozen=True, slots=True)
class Config:
    sources: tuple[str, ...] = ("data/samples",)
    lake: str = "data/lake"
    batch_size: int = DEFAULT_BATCH_SIZE
    runner: str = "thread"
    workers: int | None = None
    dask_address: str | None = None
    language: str = "auto"  # "auto": detect each article's language; a lexicon's code forces it
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with every override that is not None applied (the CLI's explicit options)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


RUNNERS = ("thread", "process", "dask")


def _typed(where: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ConfigError(f"{where}: expected {names}, got {value!r}")
    return value


def _section(data: Mapping[str, Any], name: str, allowed: set[str]) -> Mapping[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, Mapping):
        raise ConfigError(f"[{name}]: expected a table")
    unknown = set(section) - allowed
    if unknown:
        raise ConfigError(f"[{name}]: unknown key(s) {sorted(unknown)}")
    return section


def _dataclass_section(data: Mapping[str, Any], name: str, cls: type) -> Any:
    types = {f.name: f.type for f in fields(cls)}
    section = _section(data, name, set(types))
    values: dict[str, Any] = {}
    for key, raw in section.items():
        where = f"{name}.{key}"
        default = getattr(cls(), key)
        if isinstance(default, bool):
            values[key] = _typed(where, raw, bool)
        elif isinstance(default, float):
            values[key] = float(_typed(where, raw, (int, float)))
        elif isinstance(default, int):
            values[key] = _typed(where, raw, int)
        elif isinstance(default, tuple):
            items = _typed(where, raw, list)
            values[key] = tuple(_typed(f"{where}[]", item, str) for item in items)
        else:
            values[key] = _typed(where, raw, str)
    return cls(**values)


def parse_config(data: Mapping[str, Any]) -> Config:
    """Validate parsed TOML into a :class:`Config`."""
    unknown = set(data) - {"sources", "lake", "run", "schedule", "fetch"}
    if unknown:
        raise ConfigError(f"unknown section(s) {sorted(unknown)}")
    sources = _section(data, "sources", {"paths"})
    lake = _section(data, "lake", {"root"})
    run = _section(data, "run", {"batch_size", "runner", "workers", "dask_address", "language"})
    config = Config(
        schedule=_dataclass_section(data, "schedule", ScheduleSettings),
        fetch=_dataclass_section(data, "fetch", FetchSettings),
    )
    overrides: dict[str, Any] = {}
    if "paths" in sources:
        paths = _typed("sources.paths", sources["paths"], list)
        overrides["sources"] = tuple(_typed("sources.paths[]", p, str) for p in paths)
        if not overrides["sources"]:
            raise ConfigError("sources.paths: give at least one path")
    if "root" in lake:
        overrides["lake"] = _typed("lake.root", lake["root"], str)
    if "batch_size" in run:
        overrides["batch_size"] = _typed("run.batch_size", run["batch_size"], int)
        if overrides["batch_size"] < 1:
            raise ConfigError("run.batch_size: must be at least 1")
    if "runner" in run:
        overrides["runner"] = _typed("run.runner", run["runner"], str)
        if overrides["runner"] not in RUNNERS:
            raise ConfigError(f"run.runner: must be one of {list(RUNNERS)}")
    if "workers" in run:
        overrides["workers"] = _typed("run.workers", run["workers"], int)
    if "dask_address" in run:
        overrides["dask_address"] = _typed("run.dask_address", run["dask_address"], str)
    if "language" in run:
        from casualty_etl.language import check_language
        from casualty_etl.lexicon import LexiconError

        try:
            overrides["language"] = check_language(_typed("run.language", run["language"], str)) or "auto"
        except LexiconError as exc:
            raise ConfigError(f"run.language: {exc}") from exc
    return replace(config, **overrides)


def load_config(path: str | Path | None) -> Config:
    """The configuration in ``path``; with None, ``casualty-etl.toml`` in the working folder if
    present, else the defaults."""
    if path is None:
        default = Path(DEFAULT_CONFIG_FILE)
        if not default.is_file():
            return Config()
        path = default
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"no such configuration file: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
