"""Test helpers: a fake Frontegg server on loopback and a clock that can jump.

``FakeFrontegg`` is public so that you can test your own application against it::

    from frontegg_async.testing import FakeFrontegg

    async with FakeFrontegg(token_lifetime=2) as fake:
        fake.add_user("ada@example.com", "secret-password")
        async with FronteggSession(fake.identity_url, email=..., password=...) as session:
            ...
"""

from ._clock import JumpingClock
from ._fake import FakeApiToken, FakeFrontegg, FakeUser, Fault, RecordedRequest

__all__ = ["FakeApiToken", "FakeFrontegg", "FakeUser", "Fault", "JumpingClock", "RecordedRequest"]
