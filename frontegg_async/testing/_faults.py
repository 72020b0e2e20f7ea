"""Faults the fake injects instead of answering: a delay, a dropped connection, a status
and body of the test's choosing; queued per endpoint or drawn at random."""

from __future__ import annotations

import collections
import random
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from attrs import field, frozen

from ._common import FakeState, check_endpoint


@frozen
class Fault:
    """What the fake does instead of answering normally, for one call.

    Exactly the fields given apply, in this order: wait ``delay`` seconds; then ``drop`` the
    connection mid-answer, or answer ``status`` with ``body`` (default ``{"errors": [...]}``) and
    ``headers`` (``retry_after`` sets ``Retry-After``). A fault with only a ``delay`` answers
    normally after it; one with only a ``body`` answers it with status 200.
    """

    status: int | None = None
    body: bytes | None = None
    delay: float = 0.0
    drop: bool = False
    retry_after: float | None = None
    headers: Mapping[str, str] = field(factory=dict)


class FaultControls(FakeState):
    """``fail_next``, ``fail_randomly``, ``clear_faults``, and the fault a request meets."""

    _faults: dict[str, collections.deque[Fault]]
    _random_faults: dict[str, tuple[float, random.Random, tuple[Fault, ...]]]

    def fail_next(
        self, endpoint: str, times: int = 1, fault: Fault | None = None, **kw: Any
    ) -> None:
        """Make the next ``times`` calls of ``endpoint`` fail as ``fault`` (or ``Fault(**kw)``)."""
        check_endpoint(endpoint)
        chosen = fault if fault is not None else Fault(**kw)
        self._faults[endpoint].extend([chosen] * times)

    def fail_randomly(
        self,
        endpoint: str,
        probability: float,
        *faults: Fault,
        seed: int | None = None,
        **kw: Any,
    ) -> None:
        """Make each call of ``endpoint`` fail with ``probability`` (0 turns it off), as one of
        ``faults`` picked at random (or ``Fault(**kw)``).

        Queued ``fail_next`` faults come first. ``seed`` makes the draws repeatable.
        """
        check_endpoint(endpoint)
        if probability <= 0:
            self._random_faults.pop(endpoint, None)
            return
        chosen = faults or (Fault(**kw),)
        self._random_faults[endpoint] = (probability, random.Random(seed), chosen)

    def clear_faults(self) -> None:
        """Forget every pending and random fault."""
        self._faults.clear()
        self._random_faults.clear()

    def _next_fault(self, endpoint: str) -> Fault | None:
        """The fault the next request to ``endpoint`` meets: a queued one first, then a draw."""
        faults = self._faults.get(endpoint)
        fault = faults.popleft() if faults else None
        if fault is None and endpoint in self._random_faults:
            probability, chance, choices = self._random_faults[endpoint]
            if chance.random() < probability:
                fault = chance.choice(choices)
        return fault

    async def _apply(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.drop:
            response = web.StreamResponse(status=200)
            response.content_type = "application/json"
            response.content_length = 4096
            await response.prepare(request)
            await response.write(b'{"accessToken": "')
            if request.transport is not None:
                request.transport.close()
            return response
        status = fault.status if fault.status is not None else 200
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        if fault.body is not None:
            return web.Response(
                status=status, body=fault.body, headers=headers, content_type="application/json"
            )
        return self._error(status, f"Injected failure (HTTP {status})", headers=headers)
