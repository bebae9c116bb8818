"""The route class of the API: a FastAPI route whose dependencies are solved by a plan made once.

FastAPI solves a route's dependencies by walking their tree on every request, asking each node
what it is (a generator? a coroutine? overridden? using security scopes?), working out again how
each parameter is read and building the answers' cache keys: about 60 µs of a status poll's
137-142 µs in-process on this kind of machine (`scripts/profiling/route_cost.py`,
docs/benchmarks.md). A `LeanRoute` is declared, documented and validated exactly as an
`APIRoute` (it is one: the OpenAPI document is FastAPI's own), but when it is built it turns its
dependant into a plan: for each node the call, its cache key, and only the parameters it has, a
plain one with the key it is read by. A request then runs the plan: the same calls in the same
order, the same cache, the parameters and body validated by FastAPI's own functions (so a 422
lists the same errors in the same order), and the endpoint's answer sent as FastAPI sends it.

What the plan does not cover (a dependency with `yield`, a sync or streaming endpoint, a form
body, an injected `Response`, `BackgroundTasks` or `SecurityScopes`, a dependency concurrency
limit) makes the route serve every request with FastAPI's own handler instead: decided when the
route is built (`LeanRoute.planned` says which), so each endpoint has one route and one way it is
served. So are the requests of a route given a `dependency_overrides_provider` while that
provider has overrides (a route listed into an app, as the API's are, sees none: FastAPI hands
its app's overrides only to the routes of the routers it includes).

The API's routers (`api_router`) carry the API's prefix and are listed into the app
(`app._routes`), not included: FastAPI serves an included router through a layer of its own that
cost every request more than the route itself.

The router tries the routes in turn: a hold's request is turned down by the eleven routes
listed before its own. A `LeanRoute` turns down a path that does not begin with its path's fixed
part (what comes before its first `{parameter}`: `/api/v1/reservations/` of
`/api/v1/reservations/{reservation_id}`) by that test alone, and leaves any other path to
FastAPI's matching, as it does every request under a `root_path` or through a router included
into another (whose paths are not the route's own): 5.5 µs for those eleven, against 9.8 by
FastAPI's matching (`scripts/profiling/route_cost.py`, 2026-12-07).
"""

from __future__ import annotations

import email.message
import json
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, params
from fastapi._compat import ModelField, Undefined
from fastapi._compat.shared import field_annotation_is_sequence
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import (
    Dependant,
    _get_cache_key,
    _is_async_gen_callable,
    _is_coroutine_callable,
    _is_gen_callable,
)
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    _validate_value_with_model_field,
    request_body_to_args,
    request_params_to_args,
)
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import EndpointContext, RequestValidationError
from fastapi.routing import (
    APIRoute,
    _extract_endpoint_context,
    _get_scope_effective_route_context,
    serialize_response,
)
from fastapi.utils import is_body_allowed_for_status_code
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, request_response
from starlette.types import Scope

__all__ = ["API_PREFIX", "LeanRoute", "api_router"]

API_PREFIX = "/api/v1"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# Where a node's parameters of one kind are read from the request.
_Source = Callable[[Request], Mapping[str, Any] | Headers | QueryParams]


def _path(request: Request) -> Mapping[str, Any]:
    return request.path_params


def _query(request: Request) -> QueryParams:
    return request.query_params


def _headers(request: Request) -> Headers:
    return request.headers


def _cookies(request: Request) -> Mapping[str, str]:
    return request.cookies


class Unplannable(Exception):
    """The dependant uses something the plan does not cover."""


@dataclass(frozen=True, slots=True)
class _Param:
    """A path, query, header or cookie parameter. A plain one (one name, one value, not a
    model) is read by its key and validated at its location, as `request_params_to_args` does
    for it after working out, on every request, what the plan knows from the start; any other
    is left to that function."""

    field: ModelField
    key: str | None  # None: not plain
    loc: tuple[str, str]

    @classmethod
    def of(cls, field: ModelField) -> _Param:
        aliases = _get_param_aliases(field)
        plain = (
            _get_param_model(field) is None
            and len(aliases) == 1
            and not field_annotation_is_sequence(field.field_info.annotation)
        )
        key = aliases[0][1]
        kind = field.field_info.in_.value  # type: ignore[attr-defined]
        return cls(field, key if plain else None, (kind, key))


def _read_params(
    params_: tuple[_Param, ...], received: Any, values: dict[str, Any], errors: list[Any]
) -> None:
    found: dict[str, Any] = {}
    for param in params_:
        if param.key is None:
            solved, failed = request_params_to_args([param.field], received)
            found.update(solved)
            errors.extend(failed)
            continue
        raw = received.get(param.key)
        value, failed = _validate_value_with_model_field(
            field=param.field,
            value=Undefined if raw is None else raw,
            values=found,
            loc=param.loc,
        )
        if failed:
            errors.extend(failed)
        else:
            found[param.field.name] = value
    values.update(found)


@dataclass(frozen=True, slots=True)
class _Node:
    """One dependency (or the endpoint itself), as the plan runs it."""

    call: Callable[..., Any]
    name: str | None
    use_cache: bool
    cache_key: Any
    subs: tuple[_Node, ...]
    params: tuple[tuple[tuple[_Param, ...], _Source], ...]
    body_params: list[ModelField]
    request_names: tuple[str, ...]
    # Nothing in it to validate, so nothing a second solving could find: once its answer is
    # cached, later uses take it without solving it again.
    pure: bool


def _plan(dependant: Dependant) -> _Node:
    """`dependant` as the plan runs it, or Unplannable."""
    if (
        dependant.websocket_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.concurrency is not None
    ):
        raise Unplannable("an injected Response, BackgroundTasks, SecurityScopes or limit")
    call = dependant.call
    assert call is not None
    if _is_gen_callable(call) or _is_async_gen_callable(call) or not _is_coroutine_callable(call):
        raise Unplannable(f"{call!r} is not a coroutine function")
    groups = (
        (dependant.path_params, _path),
        (dependant.query_params, _query),
        (dependant.header_params, _headers),
        (dependant.cookie_params, _cookies),
    )
    subs = tuple(_plan(sub) for sub in dependant.dependencies)
    params = tuple(
        (tuple(_Param.of(field) for field in fields), source) for fields, source in groups if fields
    )
    return _Node(
        call=call,
        name=dependant.name,
        use_cache=dependant.use_cache,
        cache_key=_get_cache_key(dependant=dependant),
        subs=subs,
        params=params,
        body_params=dependant.body_params,
        request_names=tuple(
            name
            for name in (dependant.request_param_name, dependant.http_connection_param_name)
            if name
        ),
        pure=not params and not dependant.body_params and all(sub.pure for sub in subs),
    )


async def _solve(
    node: _Node, request: Request, body: Any, embed: bool, cache: dict[Any, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """`node`'s arguments, or the errors that keep it from being called: FastAPI's
    `solve_dependencies`, step for step, for what the plan covers."""
    values: dict[str, Any] = {}
    errors: list[Any] = []
    for sub in node.subs:
        if sub.pure and sub.use_cache and sub.cache_key in cache:
            if sub.name is not None:
                values[sub.name] = cache[sub.cache_key]
            continue
        sub_values, sub_errors = await _solve(sub, request, body, embed, cache)
        if sub_errors:
            errors.extend(sub_errors)
            continue
        if sub.use_cache and sub.cache_key in cache:
            solved = cache[sub.cache_key]
        else:
            solved = await sub.call(**sub_values)
        if sub.name is not None:
            values[sub.name] = solved
        cache.setdefault(sub.cache_key, solved)
    for params_, source in node.params:
        _read_params(params_, source(request), values, errors)
    if node.body_params:
        found, failed = await request_body_to_args(
            body_fields=node.body_params, received_body=body, embed_body_fields=embed
        )
        values.update(found)
        errors.extend(failed)
    for name in node.request_names:
        values[name] = request
    return values, errors


def _is_json(content_type: str) -> bool:
    if content_type == "application/json":
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def _read_body(request: Request, strict: bool, context: EndpointContext) -> Any:
    """The body as FastAPI reads it for a JSON body field: parsed when its type says JSON (or,
    not strict, says nothing), else the bytes, which then fail validation."""
    try:
        raw = await request.body()
        if not raw:
            return Undefined
        content_type = request.headers.get("content-type")
        if (content_type is None and not strict) or (content_type and _is_json(content_type)):
            return await request.json()
        return raw
    except json.JSONDecodeError as error:
        invalid = {
            "type": "json_invalid",
            "loc": ("body", error.pos),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": error.msg},
        }
        raise RequestValidationError([invalid], body=error.doc, endpoint_ctx=context) from error
    except HTTPException:
        raise
    except Exception as error:
        raise HTTPException(400, "There was an error parsing the body") from error


class LeanRoute(APIRoute):
    """An `APIRoute` whose requests run a plan of its dependencies made once (module docstring)."""

    planned: bool = False
    _served: Handler

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        self._fixed = self.path.split("{", 1)[0]  # every path it matches begins with this
        overridable = self.dependency_overrides_provider is not None  # then FastAPI's, at times
        if self.planned and not overridable and options.get("max_body_size") is None:
            # No dependency with `yield` to close: Starlette's wrapper, without FastAPI's exit
            # stacks. Errors still go to the app's exception handlers.
            self.app = request_response(self._served)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """FastAPI's answer, or at once NONE for a path that cannot be this route's (module
        docstring)."""
        if (
            not scope["path"].startswith(self._fixed)
            and scope["type"] == "http"
            and not scope.get("root_path")
            and _get_scope_effective_route_context(scope) is None
        ):
            return Match.NONE, {}
        return super().matches(scope)

    def get_route_handler(self) -> Handler:
        fastapi_handler = super().get_route_handler()
        try:
            if self.body_field is not None and isinstance(self.body_field.field_info, params.Form):
                raise Unplannable("a form body")
            root = _plan(self.dependant)
        except Unplannable:
            self.planned = False
            self._served = fastapi_handler
        else:
            self.planned = True
            self._served = self._planned_handler(root, fastapi_handler)
        return self._served

    def _planned_handler(self, root: _Node, fastapi_handler: Handler) -> Handler:
        context = _extract_endpoint_context(root.call)
        context["path"] = f"{','.join(sorted(self.methods or ()))} {self.path}"
        has_body = self.body_field is not None
        strict = bool(getattr(self.strict_content_type, "value", self.strict_content_type))
        embed = self._embed_body_fields
        overrides = self.dependency_overrides_provider
        serialize = self._serializer(context)

        async def handle(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await fastapi_handler(request)
            body = await _read_body(request, strict, context) if has_body else Undefined
            values, errors = await _solve(root, request, body, embed, {})
            if errors:
                seen = None if body is Undefined else body
                raise RequestValidationError(errors, body=seen, endpoint_ctx=context)
            answer = await root.call(**values)
            if isinstance(answer, Response):
                return answer
            return await serialize(answer)

        return handle

    def _serializer(
        self, context: EndpointContext
    ) -> Callable[[Any], Coroutine[Any, Any, Response]]:
        """How an endpoint's answer that is not a Response is sent, as FastAPI sends it."""
        field = self.response_field
        options: dict[str, Any] = {
            "include": self.response_model_include,
            "exclude": self.response_model_exclude,
            "by_alias": self.response_model_by_alias,
            "exclude_unset": self.response_model_exclude_unset,
            "exclude_defaults": self.response_model_exclude_defaults,
            "exclude_none": self.response_model_exclude_none,
        }
        declared = self.response_class
        default_class = isinstance(declared, DefaultPlaceholder)
        response_class: type[Response] = (
            declared.value if isinstance(declared, DefaultPlaceholder) else declared
        )

        status = 200 if self.status_code is None else self.status_code

        async def send_model(answer: Any) -> Response:
            if field is None:
                response = response_class(jsonable_encoder(answer), status_code=status)
            else:
                content = await serialize_response(
                    field=field,
                    response_content=answer,
                    is_coroutine=True,
                    endpoint_ctx=context,
                    dump_json=default_class,
                    **options,
                )
                if default_class:
                    response = Response(content, status, media_type="application/json")
                else:
                    response = response_class(content, status_code=status)
            if not is_body_allowed_for_status_code(response.status_code):
                response.body = b""
            return response

        return send_model


def api_router(**options: Any) -> APIRouter:
    """A router of the API: its paths under `API_PREFIX`, its routes `LeanRoute`s."""
    return APIRouter(prefix=API_PREFIX, route_class=LeanRoute, **options)
