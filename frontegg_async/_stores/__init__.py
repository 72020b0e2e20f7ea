"""Where a session keeps its token set, and how sessions that share one take turns renewing it.

A store holds one JSON-ready mapping (the token set; its layout is ``codec``'s) and offers a
*lease*: "I am renewing". The engine renews only while holding the lease, and looks in the
store first: another holder may have renewed already, and its tokens are adopted instead of
renewing again. So sessions in several processes that share a store make one renewal between
them, and a rotating refresh token is never sent by two of them.

- ``MemoryStore``: this session alone (the default); the lease is always granted at once.
- ``FileStore``: a JSON file (written atomically, mode 0600) with an advisory lock beside it,
  shared by the processes of one machine and kept across restarts.
- ``RedisStore``: a key in Redis with a ``SET NX PX`` lease, shared by a fleet of machines.

Every call a store makes is bounded (``timeout``): a hung Redis or file system becomes a
transient ``StoreError`` within it, which the session rides out on the token it holds.

Its modules: ``base`` (what a store is, and the in-memory one), ``file`` and ``redis`` (the
shared ones), ``codec`` (the one stored layout), ``files`` (the one atomic, owner-only write,
which the command line uses too).
"""

from .base import DEFAULT_STORE_TIMEOUT, MemoryStore, TokenStore
from .file import FileStore
from .redis import RedisLike, RedisStore

__all__ = [
    "DEFAULT_STORE_TIMEOUT",
    "FileStore",
    "MemoryStore",
    "RedisLike",
    "RedisStore",
    "TokenStore",
]
