"""Settings come from defaults, then CUSTOMER_CONTEXT_* variables, then flags."""

from __future__ import annotations

import pytest

from service.settings import ConfigurationError, Settings, parse


def test_defaults_serve_the_memory_store_on_loopback_port_8000():
    s = parse([], environ={})
    assert (s.host, s.port, s.backend, s.matching, s.default_region) == ("127.0.0.1", 8000, "memory", "exact", "CZ")


def test_environment_overrides_defaults_and_flags_override_environment():
    env = {"CUSTOMER_CONTEXT_PORT": "9000", "CUSTOMER_CONTEXT_DEFAULT_REGION": "de", "CUSTOMER_CONTEXT_GRAPHIQL": "false"}
    s = parse([], environ=env)
    assert (s.port, s.default_region, s.graphiql) == (9000, "DE", False)
    s = parse(["--port", "9100", "--graphiql"], environ=env)
    assert (s.port, s.default_region, s.graphiql) == (9100, "DE", True)


@pytest.mark.parametrize(
    "argv, env, message",
    [
        (["--port", "eighty"], {}, "--port must be a whole number"),
        ([], {"CUSTOMER_CONTEXT_PORT": "x"}, "CUSTOMER_CONTEXT_PORT must be a whole number"),
        (["--port", "70000"], {}, "port must be between 0 and 65535"),
        (["--default-region", "XX"], {}, "default region 'XX'"),
        ([], {"CUSTOMER_CONTEXT_GRAPHIQL": "maybe"}, "must be true or false"),
        (["--log-level", "loud"], {}, "log level"),
        (["--max-page-size", "10", "--default-page-size", "20"], {}, "default page size"),
    ],
)
def test_bad_settings_are_named(argv, env, message):
    with pytest.raises(ConfigurationError, match=message):
        parse(argv, environ=env)


def test_default_region_decides_how_national_numbers_are_read():
    from .helpers import create_customer, make_client, record

    for gql in make_client(Settings(default_region="SK")):
        customer = create_customer(gql, lastName="Kováč", phones=[{"number": "0905 123 456"}])
        assert customer["phones"][0]["e164"] == "+421905123456"
        assert record(gql, phone="+421 905 123 456")["customer"]["id"] == customer["id"]
