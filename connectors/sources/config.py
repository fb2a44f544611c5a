"""Source configs: read a ``baton pull`` YAML file (no secrets in it) and build its connector from the registry.

A config file::

    kind: postgres                  # a registered connector (SOURCE_KINDS)
    name: orders                    # the source's name, also the log it loads
    settings:                       # the connector's own settings
      host: 127.0.0.1
      database: shop
      user: baton
      password_env: PGPASSWORD      # secrets: the NAME of an environment variable, never the value
      table: order_events
    mapping: {case_id_key: order_id, activity_key: step, timestamp_key: at}
    primary_key: [event_id]
    cursor_column: updated_at
    lookback_seconds: 60
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from baton.errors import FatalSourceError, MalformedSourceError, UnsafeSourceError
from baton.schema import MAPPING_KEYS
from baton.yaml_files import read_yaml
from connectors.sources.base import Source, SourceConfig

#: kind -> "module:Class" of its connector, imported when first used. Each class has ``from_config``.
SOURCE_KINDS: dict[str, str | Callable[[SourceConfig], Source]] = {
    "sqlite": "connectors.sources.sql:SqliteSource",
    "postgres": "connectors.sources.sql:PostgresSource",
    "mysql": "connectors.sources.sql:MysqlSource",
    "mariadb": "connectors.sources.sql:MysqlSource",
    "adbc": "connectors.sources.sql:AdbcSource",
    "temporal": "connectors.sources.temporal:TemporalSource",
    "camunda8": "connectors.sources.camunda8:Camunda8Source",
    "camunda7": "connectors.sources.camunda7:Camunda7Source",
    "airflow": "connectors.sources.airflow:AirflowSource",
    "jira": "connectors.sources.jira:JiraSource",
    "servicenow": "connectors.sources.servicenow:ServiceNowSource",
}

CONFIG_KEYS = ("kind", "name", "settings", "mapping", "primary_key", "cursor_column", "lookback_seconds")
#: Setting names that hold a secret; the file must say ``<name>_env: VARIABLE`` instead.
SECRET_WORDS = (
    "password",
    "passwd",
    "pwd",
    "token",
    "secret",
    "api_key",
    "apikey",
    "private_key",
    "credential",
)
_URL_PASSWORD = re.compile(r"(://[^/@:\s]+:)[^/@\s]+@")


def register_source_kind(kind: str, target: str | Callable[[SourceConfig], Source]) -> None:
    """Register a connector under ``kind``: a ``"module:Class"`` path, or a callable taking a SourceConfig.

    This is the hook for plug-in connectors and tests (``register_source_kind("fake", FakeSource.from_config)``).
    """
    SOURCE_KINDS[kind] = target


def read_source_config(path: str | Path) -> SourceConfig:
    """Read and check a source config file.

    Raises:
        SourceNotFoundError: no such file.
        MalformedSourceError: not YAML, an unknown or missing key, a value of the wrong type.
        UnsafeSourceError: a secret written in the file instead of ``<name>_env: VARIABLE``.
    """
    doc = read_yaml(path, what="the source config")
    where = str(path)
    if not isinstance(doc, dict):
        raise MalformedSourceError(
            f"{where}: expected a mapping with keys {list(CONFIG_KEYS)}, got {type(doc).__name__}"
        )
    unknown = [k for k in doc if k not in CONFIG_KEYS]
    if unknown:
        raise MalformedSourceError(f"{where}: unknown key {unknown[0]!r}; the keys are {list(CONFIG_KEYS)}")
    for required in ("kind", "name"):
        if not isinstance(doc.get(required), str) or not doc[required].strip():
            raise MalformedSourceError(
                f"{where}: key {required!r} is missing or not text; e.g. {required}: ..."
            )
    settings = _mapping_of(doc, "settings", where)
    _refuse_secrets(settings, where, "settings")
    mapping = {str(k): str(v) for k, v in _mapping_of(doc, "mapping", where).items()}
    bad = [k for k in mapping if k not in MAPPING_KEYS]
    if bad:
        raise MalformedSourceError(f"{where}: unknown mapping key {bad[0]!r}; use {sorted(MAPPING_KEYS)}")
    return SourceConfig(
        kind=doc["kind"].strip(),
        name=doc["name"].strip(),
        settings=settings,
        mapping=mapping,
        primary_key=_primary_key(doc.get("primary_key"), where),
        cursor_column=_optional_text(doc, "cursor_column", where),
        lookback_seconds=_lookback(doc.get("lookback_seconds", 0), where),
        path=where,
    )


def build_source(config: SourceConfig) -> Source:
    """The connector for a config, from the registry (``SOURCE_KINDS``), built by its ``from_config``.

    Raises:
        MalformedSourceError: the kind is not registered.
        FatalSourceError: the connector's module cannot be imported (a driver missing).
    """
    target = SOURCE_KINDS.get(config.kind)
    where = config.path or f"source {config.name!r}"
    if target is None:
        raise MalformedSourceError(
            f"{where}: key 'kind': unknown source kind {config.kind!r}; registered kinds are {sorted(SOURCE_KINDS)}"
        )
    if not isinstance(target, str):
        return target(config)
    module_name, _, class_name = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise FatalSourceError(
            f"{where}: the {config.kind!r} connector ({target}) cannot be loaded: {exc}; install its driver"
        ) from exc
    source: Source = cls.from_config(config)
    return source


def secret_values(config: SourceConfig) -> list[str]:
    """The values of the environment variables a config names (``*_env``), to mask in messages."""
    names = [v for k, v in _walk(config.settings) if k.endswith("_env") and isinstance(v, str)]
    return [os.environ[n] for n in names if os.environ.get(n)]


def mask_secrets(text: str, config: SourceConfig) -> str:
    """``text`` with every secret value of the config (and any password in a URL) replaced by ``***``."""
    for value in sorted(secret_values(config), key=len, reverse=True):
        text = text.replace(value, "***")
    return _URL_PASSWORD.sub(r"\1***@", text)


def _walk(settings: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(key, value) pairs of nested settings; keys of nested mappings as ``outer.inner``."""
    out: list[tuple[str, Any]] = []
    for key, value in settings.items():
        if isinstance(value, Mapping):
            out += _walk(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out


def _refuse_secrets(settings: Mapping[str, Any], where: str, section: str) -> None:
    for key, value in _walk(settings):
        leaf = key.rsplit(".", 1)[-1].lower()
        if leaf.endswith("_file"):  # a secrets file outside the workspace: a path, not a secret
            continue
        if leaf.endswith("_env"):
            if not isinstance(value, str) or not value:
                raise MalformedSourceError(f"{where}: {section}.{key} must name an environment variable")
            continue
        if value not in (None, "") and any(word in leaf for word in SECRET_WORDS):
            raise UnsafeSourceError(
                f"{where}: {section}.{key} holds a secret in the file; use an environment variable instead: "
                f"{leaf}_env: SOME_VARIABLE (and set SOME_VARIABLE where `baton pull` runs)"
            )
        if isinstance(value, str) and _URL_PASSWORD.search(value):
            raise UnsafeSourceError(
                f"{where}: {section}.{key} is a URL with a password in it; leave the password out and give it "
                "as password_env: SOME_VARIABLE (an environment variable)"
            )


def _mapping_of(doc: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise MalformedSourceError(
            f"{where}: key {key!r} must be a mapping (key: value lines), got {value!r}"
        )
    return value


def _primary_key(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MalformedSourceError(
        f"{where}: key 'primary_key' must be a column name or a list of them, got {value!r}"
    )


def _optional_text(doc: dict[str, Any], key: str, where: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise MalformedSourceError(f"{where}: key {key!r} must be a column name, got {value!r}")
    return value


def _lookback(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise MalformedSourceError(
            f"{where}: key 'lookback_seconds' must be a number of seconds >= 0, got {value!r}"
        )
    return float(value)
