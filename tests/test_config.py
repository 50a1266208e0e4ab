"""casualty-etl.toml: defaults, overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from casualty_etl.config import Config, ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parents[1]


def test_the_shipped_configuration_loads() -> None:
    assert load_config(REPO / "casualty-etl.toml").lake == "data/lake"


def test_no_file_gives_the_defaults(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(None) == Config()


def test_command_line_overrides_the_file() -> None:
    config = parse_config({"lake": {"root": "/srv/lake"}, "run": {"batch_size": 50}})
    assert config.with_overrides(batch_size=10, lake=None).batch_size == 10


def test_fetch_settings_become_a_fetch_policy() -> None:
    policy = parse_config({"fetch": {"allowed_hosts": ["127.0.0.1"], "max_bytes": 1000}}).fetch.to_policy()
    assert (policy.allowed_hosts, policy.max_bytes) == (frozenset({"127.0.0.1"}), 1000)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"lakes": {}}, "lakes"),
        ({"run": {"batchsize": 3}}, "batchsize"),
        ({"run": {"batch_size": "big"}}, "run.batch_size"),
        ({"run": {"runner": "cluster"}}, "run.runner"),
        ({"fetch": {"allow_private": "yes"}}, "fetch.allow_private"),
        ({"sources": {"paths": []}}, "sources.paths"),
    ],
    ids=["unknown-section", "unknown-key", "wrong-type", "unknown-runner", "not-a-bool", "no-sources"],
)
def test_bad_configuration_names_the_key(data, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        parse_config(data)


def test_malformed_toml_names_the_file(tmp_path) -> None:
    path = tmp_path / "casualty-etl.toml"
    path.write_text("[lake\nroot = 1\n")
    with pytest.raises(ConfigError, match="casualty-etl.toml"):
        load_config(path)
