"""Test helpers: a fake Frontegg server on loopback, a clock that can jump, a TCP proxy that
breaks answers on purpose (``ChaosProxy``), and a real ``redis-server`` to stop, freeze and
kill under a fleet sharing a ``RedisStore``.

``FakeFrontegg`` is public so that you can test your own application against it::

    from frontegg_async.testing import FakeFrontegg

    async with FakeFrontegg(token_lifetime=2) as fake:
        fake.add_user("ada@example.com", "secret-password")
        async with FronteggSession(fake.identity_url, email=..., password=...) as session:
            ...
"""

from ._chaos import Chaos, ChaosProxy, Served
from ._clock import JumpingClock
from ._fake import FakeApiToken, FakeFrontegg, FakeUser, Fault, RecordedRequest
from ._redis import RedisServer

__all__ = [
    "Chaos",
    "ChaosProxy",
    "FakeApiToken",
    "FakeFrontegg",
    "FakeUser",
    "Fault",
    "JumpingClock",
    "RecordedRequest",
    "RedisServer",
    "Served",
]
