"""Every kubekg service setting in one frozen dataclass: defaults < ``KUBEKG_*`` environment < explicit overrides.

Each setting is declared once (name, type, default, range, help) in ``SETTINGS``; the environment variable is
``KUBEKG_<NAME>``, the Flask config key is ``<NAME>`` and the ``kubekg serve`` flag is ``--<name-with-dashes>``.
A bad value raises :class:`ConfigError` naming the variable and the value, before anything starts (12-factor
configuration, validated the way Kubernetes validates a component config before serving).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubekg.errors import ConfigError

ENV_PREFIX = "KUBEKG_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_TOKEN_CHARS = 8  # an update bearer token shorter than this is refused as guessable


@dataclass(frozen=True)
class Setting:
    """One configuration entry: its parser turns a raw value (env string or Python value) into the typed value."""

    name: str
    parse: Callable[[str, Any], Any]
    default: Any
    help: str


def _int(lo: int, hi: int) -> Callable[[str, Any], int]:
    def parse(name: str, raw: Any) -> int:
        if isinstance(raw, bool):
            raise ValueError(f"expected an integer between {lo} and {hi}")
        if isinstance(raw, str):
            raw = raw.strip()
            if not re.fullmatch(r"[+-]?\d+", raw):
                raise ValueError(f"expected an integer between {lo} and {hi}")
            raw = int(raw)
        if not isinstance(raw, int):
            raise ValueError(f"expected an integer between {lo} and {hi}")
        if not lo <= raw <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return raw

    return parse


def _float(lo: float, hi: float) -> Callable[[str, Any], float]:
    def parse(name: str, raw: Any) -> float:
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number of seconds between {lo} and {hi}") from None
        if not lo < value <= hi or value != value:
            raise ValueError(f"must be greater than {lo} and at most {hi}")
        return value

    return parse


def _bool(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("on", "true", "1", "yes", "enabled"):
        return True
    if text in ("off", "false", "0", "no", "disabled", ""):
        return False
    raise ValueError("expected on or off")


def _str_list(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [p.strip() for p in raw.split(",") if p.strip()]
    if isinstance(raw, list | tuple):
        return [str(p).strip() for p in raw if str(p).strip()]
    raise ValueError("expected a comma-separated list")


_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def _is_host(text: str) -> bool:
    if _HOSTNAME.match(text):
        return True
    try:
        ipaddress.ip_address(text.strip("[]"))
        return True
    except ValueError:
        return False


def _host(name: str, raw: Any) -> str:
    text = str(raw).strip()
    if not _is_host(text):
        raise ValueError("expected a host name or IP address")
    return text


def _allowlist(name: str, raw: Any) -> tuple[str, ...]:
    hosts = []
    for item in _str_list(raw):
        host = item.lower()
        if "/" in host or "@" in host:
            raise ValueError(f"{item!r} is not a host name (write hosts, not URLs: example.org,dbpedia.org)")
        if ":" in host and not host.startswith("[") and host.count(":") == 1:
            host, _, port = host.partition(":")
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"bad port in {item!r}")
            host = f"{host}:{port}"
            check = host.split(":")[0]
        else:
            check = host
        if not _is_host(check):
            raise ValueError(f"{item!r} is not a host name (write hosts, not URLs: example.org,dbpedia.org)")
        hosts.append(host)
    return tuple(hosts)


def _origins(name: str, raw: Any) -> tuple[str, ...]:
    items = _str_list(raw)
    if items == ["*"]:
        return ("*",)
    out = []
    for item in items:
        parts = urlsplit(item)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise ValueError(f"{item!r} is not an origin like https://example.org (or use * alone)")
        out.append(f"{parts.scheme}://{parts.netloc}".lower())
    return tuple(out)


def _token(name: str, raw: Any) -> str:
    text = "" if raw is None else str(raw)
    if text and (len(text) < MIN_TOKEN_CHARS or any(c.isspace() for c in text)):
        raise ValueError(f"must be at least {MIN_TOKEN_CHARS} characters without spaces")
    return text


def _path(name: str, raw: Any) -> str:
    text = str(raw).strip()
    if not text:
        raise ValueError("expected a directory path")
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError("exists and is not a directory")
    return str(path)


def _optional_path(name: str, raw: Any) -> str | None:
    if raw is None or str(raw).strip() == "":
        return None
    return _path(name, raw)


def _store(name: str, raw: Any) -> str:
    text = str(raw).strip()
    if text == "embedded":
        return text
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.hostname:
        return text
    raise ValueError("expected 'embedded' or the http(s) URL of a SPARQL 1.1 query endpoint")


def _extra_data(name: str, raw: Any) -> tuple[tuple[str, str], ...]:
    pairs = []
    items = raw if isinstance(raw, list | tuple) else _str_list(raw)
    for item in items:
        if isinstance(item, list | tuple) and len(item) == 2:
            graph, path = str(item[0]), str(item[1])
        else:
            graph, sep, path = str(item).strip().rpartition("=")
            if not sep:
                raise ValueError(f"{item!r} is not a GRAPH_IRI=PATH pair")
        parts = urlsplit(graph)
        if not parts.scheme or any(c in graph for c in '<>" {}|\\^`'):
            raise ValueError(f"{graph!r} is not an absolute IRI")
        if not Path(path).expanduser().is_file():
            raise ValueError(f"{path!r} is not a readable file")
        pairs.append((graph, str(Path(path).expanduser())))
    return tuple(pairs)


def _log_level(name: str, raw: Any) -> str:
    text = str(raw).strip().upper()
    if text not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
    return text


RESPONSE_CACHE_DEFAULT = 10_000


def _cache_entries(name: str, raw: Any) -> int:
    """Entries of the response cache per worker; 0 turns it off (a Python bool: on with the default size, or off)."""
    if isinstance(raw, bool):
        return RESPONSE_CACHE_DEFAULT if raw else 0
    return _int(0, 10_000_000)(name, raw)


SERVERS = ("gunicorn", "granian")


def _server(name: str, raw: Any) -> str:
    """The HTTP front end; granian (an optional extra) must be importable when chosen."""
    text = str(raw).strip().lower()
    if text not in SERVERS:
        raise ValueError(f"expected one of {', '.join(SERVERS)}")
    if text == "granian":
        import importlib.util

        if importlib.util.find_spec("granian") is None:
            raise ValueError("granian is not installed (pip install 'kubekg[granian]')")
    return text


def _default_workers() -> int:
    return max(1, min(os.cpu_count() or 2, 8))


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "kubekg")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SERVER",
        _server,
        "gunicorn",
        "HTTP front end: gunicorn (default) or granian (opt-in, faster; no worker recycling after a runaway "
        "query, and UPDATES off)",
    ),
    Setting("HOST", _host, "127.0.0.1", "address to bind"),
    Setting("PORT", _int(1, 65535), 8000, "TCP port to bind"),
    Setting("WORKERS", _int(1, 64), None, "worker processes (default: the number of cores, at most 8)"),
    Setting("THREADS", _int(1, 256), 4, "threads per worker (gunicorn gthread; granian blocking threads)"),
    Setting("QUERY_TIMEOUT", _float(0.0, 3600.0), 10.0, "default SPARQL query timeout in seconds"),
    Setting("MAX_TIMEOUT", _float(0.0, 3600.0), 60.0, "largest per-request timeout a client may ask for"),
    Setting("MAX_ROWS", _int(1, 10_000_000), 10_000, "row cap of SELECT results"),
    Setting(
        "MAX_PATTERNS",
        _int(1, 100_000),
        64,
        "most triple patterns, groups and join operators in one query (400 query_too_complex beyond)",
    ),
    Setting("MAX_BODY_BYTES", _int(1024, 1 << 30), 1 << 20, "largest accepted request body (413 beyond)"),
    Setting("MAX_QUESTION_CHARS", _int(1, 100_000), 500, "longest accepted question"),
    Setting(
        "SERVICE_ALLOWLIST", _allowlist, (), "hosts that SERVICE and LOAD may reach (comma list; empty: none)"
    ),
    Setting(
        "CORS_ORIGINS",
        _origins,
        ("*",),
        "origins allowed to read /sparql and /api (* = all, empty = CORS off)",
    ),
    Setting("UPDATES", _bool, False, "accept SPARQL Update on the update path (on/off)"),
    Setting("UPDATE_TOKEN", _token, "", "bearer token required for updates (required when UPDATES is on)"),
    Setting("DATA_DIR", _path, None, "directory for durable user data (updates)"),
    Setting("STORE", _store, "embedded", "'embedded' or a remote SPARQL endpoint URL"),
    Setting("EXTRA_DATA", _extra_data, (), "extra files loaded into named graphs: GRAPH_IRI=PATH,..."),
    Setting("LOG_LEVEL", _log_level, "INFO", "log level"),
    Setting("CACHE_DIR", _optional_path, None, "reasoner cache directory (default: ~/.cache/kubekg)"),
    Setting(
        "RESPONSE_CACHE",
        _cache_entries,
        RESPONSE_CACHE_DEFAULT,
        "responses of /sparql and /api/ask kept per worker for repeated requests (entries; 0 = off)",
    ),
    Setting(
        "SIMULATION_TIMEOUT",
        _float(0.0, 3600.0),
        10.0,
        "wall-clock budget of one /api/simulate run in seconds (503 simulation_timeout beyond)",
    ),
    Setting(
        "MAX_RECORDED_RUNS",
        _int(0, 1_000_000),
        100,
        "most simulation run graphs recordRun may keep in the store (409 run_limit_reached beyond; 0 = none)",
    ),
)
_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    """The validated service configuration; the Flask config carries the same upper-case keys."""

    SERVER: str
    HOST: str
    PORT: int
    WORKERS: int
    THREADS: int
    QUERY_TIMEOUT: float
    MAX_TIMEOUT: float
    MAX_ROWS: int
    MAX_PATTERNS: int
    MAX_BODY_BYTES: int
    MAX_QUESTION_CHARS: int
    SERVICE_ALLOWLIST: tuple[str, ...]
    CORS_ORIGINS: tuple[str, ...]
    UPDATES: bool
    UPDATE_TOKEN: str
    DATA_DIR: str
    STORE: str
    EXTRA_DATA: tuple[tuple[str, str], ...]
    LOG_LEVEL: str
    CACHE_DIR: str | None
    RESPONSE_CACHE: int
    SIMULATION_TIMEOUT: float
    MAX_RECORDED_RUNS: int

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        override_label: Callable[[str], str] | None = None,
    ) -> Config:
        """Defaults, then ``KUBEKG_*`` variables from ``environ`` (default ``os.environ``), then ``overrides``.

        ``override_label`` names an overridden setting in error messages (the CLI passes ``--flag-name``).
        """
        environ = os.environ if environ is None else environ
        label = override_label or (lambda name: name)
        overrides = {k.upper(): v for k, v in (overrides or {}).items() if v is not None}
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            name = setting.name
            if name in overrides:
                raw, source = overrides[name], "override"
            elif ENV_PREFIX + name in environ:
                raw, source = environ[ENV_PREFIX + name], "env"
            else:
                values[name] = setting.default
                continue
            try:
                values[name] = setting.parse(name, raw)
            except ValueError as exc:
                where = label(name) if source == "override" else f"{ENV_PREFIX}{name}"
                raise ConfigError(where, raw, str(exc)) from None
        if values["WORKERS"] is None:
            values["WORKERS"] = _default_workers()
        if values["DATA_DIR"] is None:
            values["DATA_DIR"] = _default_data_dir()
        config = cls(**values)
        config._check_together(lambda name: label(name) if name in overrides else f"{ENV_PREFIX}{name}")
        return config

    def _check_together(self, origin: Callable[[str], str]) -> None:
        if self.QUERY_TIMEOUT > self.MAX_TIMEOUT:
            raise ConfigError(
                origin("QUERY_TIMEOUT"),
                self.QUERY_TIMEOUT,
                f"is larger than MAX_TIMEOUT ({self.MAX_TIMEOUT})",
            )
        if self.UPDATES and not self.UPDATE_TOKEN:
            raise ConfigError(origin("UPDATE_TOKEN"), "", "is required when UPDATES is on")
        if self.UPDATES and self.SERVER == "granian":
            raise ConfigError(
                origin("UPDATES"),
                "on",
                "needs SERVER=gunicorn: an update that runs past its deadline keeps the update log's exclusive "
                "lock until its worker retires, and only gunicorn retires that worker",
            )

    def as_flask(self) -> dict[str, Any]:
        """The upper-case keys for ``app.config`` (plus Flask's own MAX_CONTENT_LENGTH)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["MAX_CONTENT_LENGTH"] = self.MAX_BODY_BYTES
        return out

    def describe(self) -> list[tuple[str, str, str]]:
        """(name, value, help) rows for ``kubekg serve --print-config``; the token is masked."""
        rows = []
        for s in SETTINGS:
            value = getattr(self, s.name)
            if s.name == "UPDATE_TOKEN" and value:
                value = "***"
            elif isinstance(value, tuple):
                value = ",".join("=".join(v) if isinstance(v, tuple) else v for v in value)
            rows.append((s.name, str(value), s.help))
        return rows

    @property
    def log_level_number(self) -> int:
        """The ``logging`` module's number for LOG_LEVEL."""
        return logging.getLevelName(self.LOG_LEVEL)


def setting(name: str) -> Setting:
    """The declaration of one setting (used by the CLI to build its flags and help)."""
    return _BY_NAME[name]
