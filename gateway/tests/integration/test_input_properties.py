"""Whatever a client puts in the headers, the query string and the body of any public route,
the gateway and the services behind it never answer 5xx, and every error is problem+json.

Hypothesis draws requests outside any schema: header values with bytes beyond ASCII, query
strings of arbitrary text and bytes (U+0000 included), bodies of random bytes or JSON, path
parameters valid or not, with an admin's token, none, or a forged one.
"""

import asyncio
import json
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

pytestmark = [
    pytest.mark.integration,
    # The services run in this process and draw from `random` (jittered backoff) while
    # Hypothesis generates: it takes that for a strategy of ours using `random`.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

EXAMPLES = 250  # about 20 per route: a bounded run, the same one every time
# Headers that frame the message itself: a client sending wrong ones breaks HTTP, not us.
FRAMING = {"content-length", "transfer-encoding", "host", "connection", "expect", "te", "upgrade"}

header_names = st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,24}\Z").filter(
    lambda name: name.lower() not in FRAMING
)
# A field value: visible ASCII, spaces inside, and obs-text (0x80-0xFF), as RFC 9110 allows.
header_values = st.binary(max_size=60).map(
    lambda raw: bytes(c for c in raw if c == 0x20 or 0x21 <= c <= 0x7E or c >= 0x80).strip()
)
queries = st.one_of(
    st.lists(st.tuples(st.text(max_size=16), st.text(max_size=40)), max_size=4).map(urlencode),
    st.binary(max_size=60).map(lambda raw: quote(raw, safe="=&")),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    st.none(),
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
)


def routes(openapi: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, operations in openapi["paths"].items()
        for method in operations
    ]


def check(base_url: str, admin: dict[str, str], order_id: str) -> list[str]:
    """The failures of a run against `base_url`, one line each (run off the event loop)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        every_route = routes(client.get("/openapi.json").json())
        path_values = {
            "order_id": st.sampled_from([order_id, str(uuid.uuid4())]) | st.text(max_size=40),
            "sku": st.sampled_from(["MUG-001", "NO-SUCH-SKU"]) | st.text(max_size=40),
        }
        credentials = st.sampled_from(
            [admin, {}, {"Authorization": "Bearer not.a.token"}, {"Authorization": "Basic x"}]
        )
        failures: list[str] = []

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(route=st.sampled_from(every_route), data=st.data())
        def send(route: tuple[str, str], data: st.DataObject) -> None:
            method, template = route
            path = template
            for name, values in path_values.items():
                if f"{{{name}}}" in path:
                    path = path.replace(f"{{{name}}}", quote(data.draw(values), safe=""))
            headers = [
                (n.encode(), v)
                for n, v in data.draw(st.lists(st.tuples(header_names, header_values), max_size=6))
            ]
            headers += [(n.encode(), v.encode()) for n, v in data.draw(credentials).items()]
            query = data.draw(queries)
            body = data.draw(bodies) if method in {"POST", "PUT"} else None
            answer = client.request(
                method, f"{path}?{query}" if query else path, headers=headers, content=body
            )
            media_type = answer.headers.get("content-type", "")
            where = f"{method} {path}?{query} -> {answer.status_code}"
            if answer.status_code >= 500:
                failures.append(f"{where}: {answer.text[:200]}")
            elif answer.status_code >= 400 and media_type != "application/problem+json":
                failures.append(f"{where}: {media_type}")

        send()
    return failures


async def test_no_input_to_any_public_route_gets_a_5xx_or_an_error_not_in_problem_json(
    gateway, place_order
):
    admin = gateway.admin()
    placed = (await place_order(admin)).json()

    failures = await asyncio.to_thread(check, str(gateway.client.base_url), admin, placed["id"])

    assert not failures, "\n".join(failures[:20])
