"""Everything the fake serves beyond the token calls: the user and their tenants, tenant
switching, a users listing, the signing keys and the configuration, and every other operation of
the spec, checked against it and answered from its schemas."""

from __future__ import annotations

import datetime
import json
from typing import Any

from aiohttp import web

from ._common import (
    DERIVED_FROM_USER_TOKEN,
    DERIVED_HEADERS,
    USER_TOKEN_TYPES,
    FakeState,
    FakeUser,
    number,
    raw_path,
)
from ._identity import unverified_claims
from ._spec import SpecOperation


class ResourceRoutes(FakeState):
    """The endpoints that read and change what a token may see."""

    def _derived_headers(self, request: web.Request) -> frozenset[str]:
        """The required headers this request may leave out (see ``DERIVED_HEADERS``)."""
        if self.strict_headers:
            return frozenset()
        # Read, not verified: this only spares a header, and the route verifies the token
        # itself (one RSA verification per request, not two).
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if str(unverified_claims(token).get("type", "")) in USER_TOKEN_TYPES:
            return DERIVED_HEADERS | DERIVED_FROM_USER_TOKEN
        return DERIVED_HEADERS

    def _check_request(
        self, request: web.Request, operation: SpecOperation, values: dict[str, str], raw: bytes
    ) -> list[str]:
        return self._spec.check_request(
            operation,
            values,
            list(request.query.items()),
            request.headers,
            request.content_type if raw.strip() else "",
            raw,
            derived=self._derived_headers(request),
        )

    async def _spec_answer(self, request: web.Request, body: Any) -> web.Response:
        """Any identity operation: check the token and the request, answer from the schema."""
        path = raw_path(request)
        found = self._spec.match(request.method, path)
        if found is None:
            allowed = self._spec.allows(path)
            if allowed:
                return self._error(
                    405, f"{request.method} is not allowed here; try {', '.join(allowed)}"
                )
            return self._error(404, f"Cannot {request.method} {path}")
        operation, values = found
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        if operation.audience == "ENVIRONMENT" and "type" in claims:
            return self._error(403, "This operation needs the environment token")
        problems = self._check_request(request, operation, values, await request.read())
        if problems:
            return self._error(400, *problems)
        self.api_calls[operation.name] += 1
        if (operation.method, operation.path) == ("GET", "/resources/users/v3/me"):
            # Frontegg answers this about the caller: a sample of the schema would not do. Its
            # faults, counts and checks stay those of every "api" call.
            return await self._me_v3(request)
        key = (operation.name, self.answer_optional_fields)
        if key not in self._answers:  # the same schema always makes the same body
            answer = self._spec.answer(operation, optional=self.answer_optional_fields)
            self._answers[key] = None if answer is None else json.dumps(answer).encode()
        body_bytes = self._answers[key]
        if body_bytes is None:
            return web.Response(status=operation.status)
        return web.Response(
            status=operation.status, body=body_bytes, content_type="application/json"
        )

    def _signed_in_user(
        self, request: web.Request
    ) -> tuple[FakeUser, dict[str, Any]] | web.Response:
        """The user a request's bearer token speaks for, and its claims; or the 401/403."""
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        user = self._user_of(claims)
        if user is None:
            return self._error(403, "A user token is required for this route")
        return user, claims

    async def _me(self, request: web.Request, body: Any) -> web.Response:
        signed_in = self._signed_in_user(request)
        if isinstance(signed_in, web.Response):
            return signed_in
        user, claims = signed_in
        return web.json_response(self._user_dto(user, claims["tenantId"]))

    async def _me_v3(self, request: web.Request) -> web.Response:
        signed_in = self._signed_in_user(request)
        if isinstance(signed_in, web.Response):
            return signed_in
        user, claims = signed_in
        # The newer shape: the same user without the roles and permissions of the tenant.
        answer = self._user_dto(user, claims["tenantId"])
        del answer["roles"], answer["permissions"]
        return web.json_response(answer)

    async def _me_tenants(self, request: web.Request, body: Any) -> web.Response:
        signed_in = self._signed_in_user(request)
        if isinstance(signed_in, web.Response):
            return signed_in
        user, claims = signed_in
        tenants = user.tenant_ids or [user.tenant_id]
        # The shape Frontegg's web SDK reads (GetCurrentUserTenantsResponse in
        # @frontegg/rest-api): the user's tenants and the active one.
        rows = [self._tenant_row(tenant) for tenant in tenants]
        active = next((row for row in rows if row["tenantId"] == claims.get("tenantId")), rows[0])
        return web.json_response({"tenants": rows, "activeTenant": active})

    @staticmethod
    def _tenant_row(tenant_id: str) -> dict[str, Any]:
        return {
            "id": tenant_id,
            "tenantId": tenant_id,
            "name": f"Tenant {tenant_id[:8]}",
            "deletedAt": None,
            "metadata": "{}",
            "vendorId": "fake-vendor",
            "isReseller": False,
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
        }

    async def _jwks(self, request: web.Request, body: Any) -> web.Response:
        return web.json_response(
            self._keys.jwks(self._clock()), headers={"Cache-Control": "public, max-age=600"}
        )

    async def _configuration(self, request: web.Request, body: Any) -> web.Response:
        """The environment's configuration, with the public key Frontegg's server SDKs verify
        tokens with (they fetch it with the environment token)."""
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        found = self._spec.match("GET", "/resources/configurations/v1")
        answer: dict[str, Any] = {}
        if found is not None:
            generated = self._spec.answer(found[0], optional=True)
            if isinstance(generated, dict):
                answer = generated
        # The spec requires a jwtSecret too (for environments that sign HS256); the fake's is
        # the spec's sample value, which signs nothing.
        answer.update(
            {
                "publicKey": self._keys.public_pem(),
                "jwtAlgorithm": "RS256",
                "defaultTokenExpiration": number(self.token_lifetime),
                "rotateRefreshTokens": True,
            }
        )
        return web.json_response(answer)

    async def _switch_tenant(self, request: web.Request, body: Any) -> web.Response:
        signed_in = self._signed_in_user(request)
        if isinstance(signed_in, web.Response):
            return signed_in
        user, _ = signed_in
        tenant_id = body.get("tenantId") if isinstance(body, dict) else None
        if not isinstance(tenant_id, str) or not tenant_id:
            return self._error(400, "tenantId should not be empty")
        if tenant_id not in user.tenant_ids:
            return self._error(404, "User is not a member of this tenant")
        user.tenant_id = tenant_id
        return web.json_response(self._user_dto(user, tenant_id))

    async def _users_page(self, request: web.Request, body: Any) -> web.Response:
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        try:
            limit = min(200, max(1, int(request.query.get("_limit", "50"))))
            offset = max(0, int(request.query.get("_offset", "0")))
        except ValueError:
            return self._error(400, "_limit and _offset must be numbers")
        users = sorted(self._users.values(), key=lambda u: u.email)
        pages = max(1, -(-len(users) // limit))
        chunk = users[offset * limit : (offset + 1) * limit]
        items = []
        for user in chunk:
            dto = self._user_dto(user, user.tenant_id)
            for key in ("roles", "permissions"):
                del dto[key]
            items.append(dto)
        base = str(request.url.with_query(None))

        def link(page: int) -> str:
            return f"{base}?_limit={limit}&_offset={page}" if 0 <= page < pages else ""

        return web.json_response(
            {
                "items": items,
                "_metadata": {"totalItems": len(users), "totalPages": pages},
                "_links": {
                    "next": link(offset + 1),
                    "prev": link(offset - 1),
                    "first": link(0),
                    "last": link(pages - 1),
                },
            }
        )

    def _user_dto(self, user: FakeUser, tenant_id: str) -> dict[str, Any]:
        created = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).isoformat()
        return {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "profilePictureUrl": "https://fake.frontegg.test/avatar.png",
            "sub": user.id,
            "verified": True,
            "mfaEnrolled": user.totp_secret is not None,
            "roles": [],
            "permissions": [],
            "provider": "local",
            "tenantId": tenant_id,
            "tenantIds": list(user.tenant_ids),
            "tenants": [{"tenantId": t, "roles": []} for t in user.tenant_ids],
            "metadata": "{}",
            "vendorMetadata": "{}",
            "createdAt": created,
            "lastLogin": created,
            "subAccountAccessAllowed": False,
        }
