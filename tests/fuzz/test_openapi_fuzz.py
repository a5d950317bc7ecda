"""Schemathesis against every service's OpenAPI document, with the service's real lifespan on the real servers.

Each service runs in this process under uvicorn (a thread with its own event loop) on a free loopback port. Every
operation gets positive and negative generated requests with an organiser token, and the answer must never be a
5xx; where a response schema is declared for the status returned, the body must conform to it.
"""
from __future__ import annotations

import threading
import time

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from devtools.servers import free_port
from tests.security.common import available, factory, token

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(240)]
EXAMPLES = 8  # per operation, positive and negative mixed; bounded for CI time
REQUESTS: dict[str, int] = {}
# Known service bugs, reported with a reproducer (tests/fuzz/test_known_bugs.py); their failures are listed, not fatal.
KNOWN: dict[tuple[str, str], str] = {}


class Served:
    """A service app under uvicorn in a thread, started and stopped with its lifespan."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.started:
                return self
            if not self.thread.is_alive():
                raise RuntimeError("service did not start")
            time.sleep(0.1)
        raise TimeoutError("service did not start in 60 s")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.mark.parametrize("service", available())
def test_no_server_errors_and_declared_schemas_hold(service, settings):
    cfg = settings.model_copy(update={"public_rate_per_minute": 1_000_000})
    svc = factory(service)(cfg)
    org = token(cfg, "organiser")
    failures: list[str] = []
    known: list[str] = []
    count = 0
    with Served(svc.api) as served:
        schema = schemathesis.openapi.from_url(served.url + "/openapi.json")
        ops = [r.ok() for r in schema.get_all_operations()]
        assert ops
        session = __import__("requests").Session()
        for op in ops:
            strategy = st.one_of(op.as_strategy(), op.as_strategy(generation_mode=GenerationMode.NEGATIVE))

            @hsettings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                       suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case):
                nonlocal count
                headers = dict(org)
                headers.update(case.headers or {})
                count += 1
                label = f"{op.method.upper()} {op.path}"
                try:
                    response = case.call(base_url=served.url, session=session, headers=headers)
                    if response.status_code >= 500:
                        raise AssertionError(f"{response.status_code} for {case.as_curl_command()}")
                    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
                except Exception as exc:  # collect, then report them all
                    if (service, label) in KNOWN:
                        known.append(f"{label}: {KNOWN[service, label]}")
                    else:
                        failures.append(f"{label}: {str(exc)[:400]}")

            run()
    REQUESTS[service] = count
    print(f"FUZZ {service}: {len(ops)} operations, {count} requests, {len(failures)} failures, known: "
          f"{sorted(set(known))}")
    unique = sorted(set(failures))
    assert not unique, "\n".join(unique[:20])
