from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import importlib.util
import sys
import traceback
import typing
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest
from aiohttp import web

from frontegg_async import FronteggError, FronteggSession
from frontegg_async.testing import FakeFrontegg, JumpingClock

T = TypeVar("T")

EMAIL = "ada@example.com"
PASSWORD = "canary-password-7f3a9c"


@pytest.fixture(autouse=True)
async def no_loop_complaints() -> AsyncIterator[None]:
    """Fail a test whose loop reports an error: "Task was destroyed but it is pending",
    "Unclosed client session", "Task exception was never retrieved" and the like arrive
    through the loop's exception handler, not as warnings."""
    loop = asyncio.get_running_loop()
    complaints: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: complaints.append(context))
    yield
    gc.collect()
    await asyncio.sleep(0)
    loop.set_exception_handler(previous)
    assert not complaints, [c.get("message") for c in complaints]


@pytest.fixture
def clock() -> JumpingClock:
    return JumpingClock()


@pytest.fixture
async def fake(clock: JumpingClock) -> AsyncIterator[FakeFrontegg]:
    async with FakeFrontegg(token_lifetime=60, clock=clock.time) as server:
        server.add_user(EMAIL, PASSWORD)
        yield server


SessionFactory = Callable[..., FronteggSession]


@pytest.fixture
async def make_session(fake: FakeFrontegg, clock: JumpingClock) -> AsyncIterator[SessionFactory]:
    """Sessions pointed at the fake, sharing its clock, closed at teardown."""
    made: list[FronteggSession] = []

    def make(**overrides: Any) -> FronteggSession:
        options: dict[str, Any] = {
            "email": EMAIL,
            "password": PASSWORD,
            "clock": clock,
            "timeout": 2.0,
        }
        options.update(overrides)
        session = FronteggSession(options.pop("base_url", fake.identity_url), **options)
        made.append(session)
        return session

    yield make
    for session in made:
        await session.aclose()


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """``app`` served on 127.0.0.1 (a free port) while the block runs: its base URL."""
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def token_of(
    fake: FakeFrontegg,
    clock: JumpingClock | None = None,
    email: str = EMAIL,
    password: str = PASSWORD,
) -> str:
    """A user's access token, from a real login to ``fake``."""
    async with FronteggSession(
        fake.identity_url, email=email, password=password, clock=clock
    ) as session:
        return await session.access_token()


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Poll ``condition`` until it holds (real time), failing after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def after_a_fault(call: Callable[[], Awaitable[T]]) -> T:
    """``call()``, allowing one transient error: a caller that gave up waiting during a fault
    left its flight trying on, and on a loaded machine that flight's last try may still have
    met the fault. A second error, or one that is not transient, is raised."""
    try:
        return await call()
    except FronteggError as error:
        if not error.retryable:
            raise
    return await call()


def exception_texts(error: BaseException | None) -> list[str]:
    """Everything an error carries that a log or a report shows: for it and every exception in
    its chain (causes, contexts, suppressed or not), its str, repr, args, notes and formatted
    traceback."""
    texts: list[str] = []
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        texts += [repr(note) for note in getattr(current, "__notes__", ())]
        texts += traceback.format_exception(current, chain=False)
        pending += [current.__cause__, current.__context__]
    return texts


def exp_of(fake: FakeFrontegg, token: str) -> float:
    """When one of the fake's tokens expires, on the fake's clock."""
    return float(fake.decode(token)["exp"])


ROOT = Path(__file__).resolve().parents[1]


def load_module(path: Path, name: str) -> ModuleType:
    """Import the Python file at ``path`` (an example, the generator) as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def generator() -> ModuleType:
    """``tools/generate_api``, whose naming rules the tests use rather than restate."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        return importlib.import_module("generate_api")
    finally:
        sys.path.remove(str(ROOT / "tools"))


def is_former_name(cls: type, name: str) -> bool:
    """Whether ``cls.name`` is a deprecated alias the generator kept for a renamed method."""
    return "Deprecated: the former name of" in (getattr(cls, name).__doc__ or "")


def api_groups() -> dict[str, type]:
    """``FronteggClient``'s groups: attribute name -> the class it returns."""
    from frontegg_async.api import FronteggClient

    return {
        name: typing.get_type_hints(value.fget)["return"]
        for name, value in vars(FronteggClient).items()
        if isinstance(value, property) and name != "session"
    }


def pytest_collection_finish(session: Any) -> None:
    """Move everything alive after collection (modules, the generated API, test items) out of
    the collector's sight: each test's ``gc.collect()`` then walks only what the test made,
    in milliseconds instead of the 40-60 ms a full collection costs."""
    import frontegg_async.api  # noqa: F401 - imported once, before the freeze

    gc.collect()
    gc.freeze()


def _what_this_process_saw() -> dict[str, Any]:
    """The conformance counts and the operations covered, as plain data (a worker of
    pytest-xdist sends it to the controller, which prints the summary)."""
    conformance = sys.modules.get("tests.conformance")
    operations = sys.modules.get("tests.integration.test_api_operations")
    covered: dict[str, Any] = {}
    if operations is not None:
        for mode, names in operations.COVERED.items():
            every = (
                operations.SESSION_CALLS if mode.startswith("session") else operations.SPEC_ANSWERED
            )
            covered[mode] = {"names": sorted(names), "total": len(every)}
    return {"counts": dict(getattr(conformance, "COUNTS", {})), "covered": covered}


#: What each worker saw, when the run was spread over pytest-xdist workers.
_FROM_WORKERS: list[dict[str, Any]] = []


def pytest_sessionfinish(session: Any) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # in a worker
        output["frontegg_summary"] = _what_this_process_saw()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    summary = getattr(node, "workeroutput", {}).get("frontegg_summary")
    if summary is not None:
        _FROM_WORKERS.append(summary)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many of the identity API's operations the run called through FronteggClient,
    and how many checks each of Frontegg's own clients passed against the fake."""
    counts: dict[str, str] = {}
    covered: dict[str, tuple[set[str], int]] = {}
    for seen in _FROM_WORKERS or [_what_this_process_saw()]:
        counts.update(seen["counts"])
        for mode, entry in seen["covered"].items():
            names, _ = covered.get(mode, (set(), 0))
            covered[mode] = (names | set(entry["names"]), entry["total"])
    for _, line in sorted(counts.items()):
        terminalreporter.write_line(f"conformance: {line}")
    for mode, (names, total) in covered.items():
        terminalreporter.write_line(
            f"identity API operations covered ({mode}): {len(names)}/{total}"
        )
