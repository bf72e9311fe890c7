"""The service configuration: defaults, environment, overrides, and a clear ConfigError for every bad value."""

from __future__ import annotations

import dataclasses

import pytest

from kubekg.config import SETTINGS, Config
from kubekg.errors import ConfigError


def test_defaults_match_the_issue():
    config = Config.load({}, environ={})
    assert (config.HOST, config.PORT) == ("127.0.0.1", 8000)
    assert config.QUERY_TIMEOUT == 10.0
    assert config.MAX_ROWS == 10_000
    assert config.MAX_BODY_BYTES == 1 << 20
    assert config.CORS_ORIGINS == ("*",)
    assert config.UPDATES is False and config.UPDATE_TOKEN == ""
    assert config.STORE == "embedded"
    assert config.SERVICE_ALLOWLIST == ()
    assert config.WORKERS >= 1 and config.THREADS >= 1
    assert config.SERVER == "gunicorn"


def test_every_setting_is_a_field_and_has_help():
    names = {f.name for f in dataclasses.fields(Config)}
    assert names == {s.name for s in SETTINGS}
    assert all(s.help for s in SETTINGS)


def test_precedence_defaults_then_environment_then_overrides():
    env = {"KUBEKG_PORT": "9000", "KUBEKG_MAX_ROWS": "50"}
    config = Config.load({"PORT": 9100}, environ=env)
    assert config.PORT == 9100  # override beats environment
    assert config.MAX_ROWS == 50  # environment beats default
    assert config.THREADS == 4  # default


def test_config_is_frozen():
    config = Config.load({}, environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.PORT = 1  # type: ignore[misc]


def test_as_flask_carries_upper_case_keys_and_max_content_length():
    flask = Config.load({"MAX_BODY_BYTES": 4096}, environ={}).as_flask()
    for key in (
        "QUERY_TIMEOUT",
        "MAX_TIMEOUT",
        "MAX_ROWS",
        "MAX_BODY_BYTES",
        "SERVICE_ALLOWLIST",
        "UPDATES",
        "UPDATE_TOKEN",
        "DATA_DIR",
        "STORE",
        "EXTRA_DATA",
        "CORS_ORIGINS",
    ):
        assert key in flask
    assert flask["MAX_CONTENT_LENGTH"] == 4096


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("PORT", "8080", 8080),
        ("WORKERS", "3", 3),
        ("QUERY_TIMEOUT", "2.5", 2.5),
        ("UPDATES", "off", False),
        ("UPDATES", "false", False),
        ("SERVICE_ALLOWLIST", "example.org, dbpedia.org:443", ("example.org", "dbpedia.org:443")),
        (
            "CORS_ORIGINS",
            "https://a.example, http://localhost:3000",
            ("https://a.example", "http://localhost:3000"),
        ),
        ("CORS_ORIGINS", "", ()),
        ("CORS_ORIGINS", "*", ("*",)),
        ("STORE", "http://127.0.0.1:7878/query", "http://127.0.0.1:7878/query"),
        ("LOG_LEVEL", "debug", "DEBUG"),
        ("HOST", "::1", "::1"),
        ("HOST", "0.0.0.0", "0.0.0.0"),
        ("SERVER", "gunicorn", "gunicorn"),
        ("SERVER", " Granian ", "granian"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_good_environment_values(env, value, expected):
    assert getattr(Config.load({}, environ={f"KUBEKG_{env}": value}), env) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "eighty", "integer"),
        ("PORT", "0", "between 1 and 65535"),
        ("PORT", "70000", "between 1 and 65535"),
        ("WORKERS", "0", "between 1 and 64"),
        ("WORKERS", "2.5", "integer"),
        ("THREADS", "-1", "between 1 and 256"),
        ("QUERY_TIMEOUT", "0", "greater than 0"),
        ("QUERY_TIMEOUT", "ten", "number of seconds"),
        ("QUERY_TIMEOUT", "nan", "greater than 0"),
        ("QUERY_TIMEOUT", "90", "larger than MAX_TIMEOUT"),
        ("MAX_ROWS", "0", "between 1"),
        ("MAX_BODY_BYTES", "12", "between 1024"),
        ("MAX_QUESTION_CHARS", "x", "integer"),
        ("SERVICE_ALLOWLIST", "http://example.org/sparql", "not a host name"),
        ("SERVICE_ALLOWLIST", "exa mple.org", "not a host name"),
        ("CORS_ORIGINS", "example.org", "not an origin"),
        ("CORS_ORIGINS", "https://example.org/path", "not an origin"),
        ("UPDATES", "maybe", "on or off"),
        ("UPDATE_TOKEN", "short", "at least 8 characters"),
        ("STORE", "oxigraph", "embedded"),
        ("STORE", "ftp://example.org/sparql", "embedded"),
        ("EXTRA_DATA", "no-equals-sign", "GRAPH_IRI=PATH"),
        ("EXTRA_DATA", "http://example.org/g=/nonexistent/file.nt", "not a readable file"),
        ("EXTRA_DATA", "relative=/etc/hostname", "not an absolute IRI"),
        ("LOG_LEVEL", "LOUD", "one of DEBUG"),
        ("HOST", "not a host!", "host name or IP"),
        ("DATA_DIR", "/etc/hostname", "not a directory"),
        ("SERVER", "uwsgi", "one of gunicorn, granian"),
    ],
)
def test_bad_values_raise_config_error_naming_variable_and_value(name, value, message):
    with pytest.raises(ConfigError) as info:
        Config.load({}, environ={f"KUBEKG_{name}": value})
    text = str(info.value)
    assert f"KUBEKG_{name}" in text
    assert repr(value) in text or name == "QUERY_TIMEOUT"
    assert message in text
    assert info.value.status == 500 and info.value.code == "config_error"


def test_updates_on_requires_a_token():
    with pytest.raises(ConfigError, match="UPDATE_TOKEN.*required when UPDATES is on"):
        Config.load({}, environ={"KUBEKG_UPDATES": "on"})
    config = Config.load({"UPDATES": "on", "UPDATE_TOKEN": "s3cret-token"}, environ={})
    assert config.UPDATES is True


def test_override_errors_use_the_label_given_by_the_cli():
    with pytest.raises(ConfigError, match=r"--port='x'"):
        Config.load({"PORT": "x"}, environ={}, override_label=lambda n: "--" + n.lower())


def test_extra_data_pairs_are_parsed(tmp_path):
    data = tmp_path / "data1.nt"
    data.write_text("<http://a/s> <http://a/p> <http://a/o> .\n")
    config = Config.load({}, environ={"KUBEKG_EXTRA_DATA": f"http://example.org/g1={data}"})
    expected = (("http://example.org/g1", str(data)),)
    assert expected == config.EXTRA_DATA


def test_describe_masks_the_update_token():
    config = Config.load({"UPDATES": True, "UPDATE_TOKEN": "very-secret-token"}, environ={})
    rows = dict((name, value) for name, value, _ in config.describe())
    assert rows["UPDATE_TOKEN"] == "***"
    assert "very-secret-token" not in str(config.describe())
