"""The programs in examples/ run against the fake."""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import AsyncIterator
from types import ModuleType

import aiohttp
import pytest

from frontegg_async._claims import decode_claims
from frontegg_async.testing import FakeFrontegg

from ..conftest import load_module, serving, token_of

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    return load_module(EXAMPLES / f"{name}.py", f"example_{name}")


async def test_web_app_calls_downstream_with_the_middleware() -> None:
    web_app = load("web_app")
    async with FakeFrontegg(token_lifetime=30) as fake:
        fake.add_user("svc@example.com", "svc-password", tenant_id="t-svc")
        app = web_app.make_app(str(fake.identity_url), "svc@example.com", "svc-password")
        async with serving(app) as base, aiohttp.ClientSession() as client:
            async with client.get(f"{base}/whoami") as answer:
                assert await answer.json() == {"email": "svc@example.com", "tenant": "t-svc"}
            fake.reject_access_tokens()  # the middleware renews once and retries
            async with client.get(f"{base}/whoami") as answer:
                assert answer.status == 200
            assert fake.calls["refresh"] == 1
        assert fake.calls["login"] == 1
        assert fake.calls["logout"] == 1


async def test_worker_keeps_working_across_renewals() -> None:
    worker = load("worker")
    async with FakeFrontegg(token_lifetime=0.5) as fake:
        fake.add_user("someone@example.com", "pw")
        fake.add_api_token("worker-client", "worker-secret")
        done = await worker.run(
            str(fake.identity_url), "worker-client", "worker-secret", jobs=6, pause=0.25
        )
        assert done == 6
        assert fake.calls["api_token"] == 1
        assert fake.calls["api_token_refresh"] >= 2
        assert fake.reused_refresh_tokens == 0


async def test_management_script_pages_through_users() -> None:
    manage = load("manage_users")
    async with FakeFrontegg() as fake:
        for name in ("ada", "grace", "edsger", "barbara", "donald"):
            fake.add_user(f"{name}@example.com", "pw")
        emails = await manage.run(str(fake.url), fake.client_id, fake.environment_secret)
        assert emails == sorted(
            f"{n}@example.com" for n in ("ada", "grace", "edsger", "barbara", "donald")
        )
        assert fake.calls["users"] == 3
        assert fake.calls["vendor"] == 1


@contextlib.asynccontextmanager
async def ada_signed_in() -> AsyncIterator[tuple[FakeFrontegg, str, str]]:
    """A fake with Ada, her token, and the same token without her permissions."""
    async with FakeFrontegg() as fake:
        fake.add_user("ada@example.com", "pw-ada", tenant_id="t-ada")
        token = await token_of(fake, email="ada@example.com", password="pw-ada")
        yield fake, token, fake.sign_token({**decode_claims(token).raw, "permissions": []})


async def test_the_aiohttp_verifier_example_guards_its_routes() -> None:
    example = load("verify_aiohttp")
    async with (
        ada_signed_in() as (fake, token, reader_less),
        serving(example.make_app(str(fake.url), fake.client_id)) as base,
        aiohttp.ClientSession() as client,
    ):

        async def get(path: str, bearer: str | None = None) -> tuple[int, object]:
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            async with client.get(base + path, headers=headers) as answer:
                return answer.status, await answer.json()

        assert await get("/health") == (200, {"ok": True})
        assert (await get("/me"))[0] == 401
        user = decode_claims(token).sub
        assert await get("/me", token) == (200, {"user": user, "tenant": "t-ada"})
        assert await get("/users", token) == (200, {"tenant": "t-ada", "users": []})
        assert (await get("/users", reader_less))[0] == 403
        assert fake.calls["jwks"] == 1


async def test_the_fastapi_verifier_example_guards_its_routes() -> None:
    import httpx

    example = load("verify_fastapi")
    async with ada_signed_in() as (fake, token, reader_less):
        app = example.make_app(str(fake.url), fake.client_id)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
            ) as client,
        ):

            async def get(path: str, bearer: str | None = None) -> tuple[int, object]:
                headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
                answer = await client.get(path, headers=headers)
                return answer.status_code, answer.json()

            assert (await get("/me"))[0] == 401
            user = decode_claims(token).sub
            assert await get("/me", token) == (200, {"user": user, "tenant": "t-ada"})
            assert await get("/users", token) == (200, {"tenant": "t-ada", "users": []})
            assert (await get("/users", reader_less))[0] == 403
        assert fake.calls["jwks"] == 1


@pytest.mark.parametrize("name", ["verify_aiohttp", "verify_fastapi"])
def test_the_readme_shows_the_verifier_examples_as_they_run(name: str) -> None:
    readme = (EXAMPLES.parent / "README.md").read_text()
    section = readme.split("## Verifying incoming tokens")[1].split("\n## ")[0]
    blocks = [block.split("```")[0] for block in section.split("```python\n")[1:]]
    source = (EXAMPLES / f"{name}.py").read_text()
    shown = [block for block in blocks if "def make_app" in block and block in source]
    assert any(f"examples/{name}.py" in line for line in section.splitlines())
    assert len(shown) == 1, f"the README shows no block of examples/{name}.py as it is"
