"""A real ``redis-server`` on loopback, for testing a fleet that shares a ``RedisStore``: started,
frozen, killed and started again by the test, as a Redis in production fails."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
from types import TracebackType


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """Debian's (or any) ``redis-server`` on a loopback port of its own, keeping nothing on disk.

    ``start()`` (again, after ``kill()``: empty, as a Redis without persistence comes back),
    ``freeze()`` / ``thaw()`` (SIGSTOP / SIGCONT: connections stay open and nothing answers),
    ``kill()`` (SIGKILL). Also an async context manager. Raises ``FileNotFoundError`` when
    ``redis-server`` is not installed (``apt-get install redis-server``).
    """

    def __init__(self, *, port: int | None = None, binary: str = "redis-server") -> None:
        found = shutil.which(binary)
        if found is None:
            raise FileNotFoundError(
                f"{binary} is not installed: apt-get install redis-server (or pass binary=)"
            )
        self.binary = found
        self.port = port if port is not None else free_port()
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>``."""
        return f"redis://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process is not None else None

    async def start(self, *, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - a startup bound
        """Start it and wait (at most ``timeout`` s) until it accepts connections."""
        self._process = await asyncio.create_subprocess_exec(
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.01)
                continue
            writer.close()
            await writer.wait_closed()
            return
        await self.kill()
        raise TimeoutError(f"redis-server did not accept connections within {timeout:g} s")

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and nothing answers."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGCONT)

    async def kill(self) -> None:
        """SIGKILL: every connection drops, every key is lost."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGCONT)  # a frozen one dies all the same
            process.kill()
            await process.wait()

    async def __aenter__(self) -> RedisServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.kill()
