"""The sans-I/O core: what the library decides, apart from how it talks.

Nothing in this package imports asyncio or aiohttp (a test holds it to that). Its flows are
generators that yield a ``Request`` and receive an ``Answer``: the async shell (``_transport``,
``_engine``) sends them, and the unit tests drive them with ``next()`` and ``.send()``, without a
loop or a socket.
"""
