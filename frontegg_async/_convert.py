"""The one private, strict cattrs converter that reads and writes every shape of the library
(the session's answers in ``_models`` and the generated ``frontegg_async.api.models``), and the
one JSON reader.

The converter is this module's own (never cattrs' global one). It is strict where the global one
is lenient: a number is not a string and a string is not a list, because a silently coerced token
or lifetime is worse than a clear ``ResponseFormatError``. Unknown keys are ignored, so new fields
on Frontegg's side never break an old client. A field is named on the wire by its
``metadata['json']``, or else in camelCase; a field whose ``metadata['read']`` names a function
is read by it (where Frontegg's clients read a field otherwise than the spec describes it).
"""

from __future__ import annotations

import json
import math
import typing
from collections.abc import Callable, Mapping, Sequence
from types import UnionType
from typing import Any, TypeVar, Union

import attrs
from cattrs import Converter
from cattrs.errors import ClassValidationError, IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import transform_error

from ._errors import ResponseFormatError

T = TypeVar("T")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """A field's name on the wire: its ``metadata['json']`` (every generated field has one, as
    do the snake_case API-token answers), else the field's name in camelCase."""
    name: str | None = attribute.metadata.get("json")
    return name if name is not None else _camel(attribute.name)


def _strict_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _strict_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    return value


def _strict_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return float(value)


def _strict_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)


def _plain_mapping(value: object, _: type) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


#: The modules whose attrs classes are Frontegg's shapes (read and written by wire name).
_MODEL_MODULES = frozenset(
    {"frontegg_async._models", "frontegg_async.api._core", "frontegg_async.api.models"}
)


def is_model(tp: Any) -> bool:
    """Whether ``tp`` (or its generic origin) is one of Frontegg's shapes."""
    cls = typing.get_origin(tp) or tp
    return isinstance(cls, type) and attrs.has(cls) and cls.__module__ in _MODEL_MODULES


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, UnionType)


def _make_converter() -> Converter:
    """The one converter: strict where cattrs' global one is lenient (no coercion between
    strings, numbers and arrays), arrays read back as tuples, models by wire name, unknown keys
    ignored, ``oneOf`` unions read by the shape that fits best."""
    converter = Converter(detailed_validation=True, forbid_extra_keys=False)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook_func(lambda tp: tp == Mapping[str, Any], _plain_mapping)

    def structure_tuple(value: object, tp: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise TypeError(f"expected an array, got {type(value).__name__}")
        item_type = typing.get_args(tp)[0]
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(converter.structure(item, item_type))
            except Exception as exc:
                note = IterableValidationNote(f"item {index}", index, item_type)
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                errors.append(exc)
        if errors:
            raise IterableValidationError("invalid array items", errors, tp)
        return tuple(items)

    converter.register_structure_hook_func(_is_homogeneous_tuple, structure_tuple)

    # Arrays come back as tuples: models are frozen all the way down.
    def is_sequence(tp: Any) -> bool:
        return bool(typing.get_origin(tp) is Sequence)

    def structure_sequence(value: object, tp: Any) -> tuple[Any, ...]:
        (item_type,) = typing.get_args(tp)
        return structure_tuple(value, tuple[item_type, ...])  # type: ignore[valid-type]

    converter.register_structure_hook_func(is_sequence, structure_sequence)

    def renames(tp: Any, *, reading: bool) -> dict[str, Any]:
        fields = attrs.fields(typing.get_origin(tp) or tp)
        # A field whose clients read it otherwise than the spec says carries its own reader.
        return {
            a.name: override(rename=wire_name(a), struct_hook=a.metadata.get("read"))
            if reading
            else override(rename=wire_name(a))
            for a in fields
        }

    def structure_model(tp: Any) -> Callable[[Any, Any], Any]:
        return make_dict_structure_fn(tp, converter, **renames(tp, reading=True))

    def unstructure_model(tp: Any) -> Callable[[Any], Any]:
        # Unset (None) optional fields are left out: Frontegg reads a null as a value.
        return make_dict_unstructure_fn(
            tp, converter, _cattrs_omit_if_default=True, **renames(tp, reading=False)
        )

    converter.register_structure_hook_factory(is_model, structure_model)
    converter.register_unstructure_hook_factory(is_model, unstructure_model)

    def unknown_keys(value: object, option: Any) -> int:
        if not isinstance(value, dict) or not is_model(option):
            return 0
        return len(
            value.keys() - {wire_name(a) for a in attrs.fields(typing.get_origin(option) or option)}
        )

    def structure_union(value: object, tp: Any) -> Any:
        # oneOf in the spec. Its shapes overlap (one may be another minus a field), so the
        # shape that leaves the fewest of the value's keys unread is tried first: reading
        # {"tenantId": ...} as the shape without tenantId would lose it.
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        failures: list[Exception] = []
        for option in sorted(options, key=lambda option: unknown_keys(value, option)):
            if option is type(None):
                continue
            try:
                return converter.structure(value, option)
            except Exception as exc:
                failures.append(exc)
        names = " | ".join(getattr(o, "__name__", str(o)) for o in options)
        raise ValueError(f"matches none of {names}") from (failures[0] if failures else None)

    def is_models_union(tp: Any) -> bool:
        # An optional model alone is cattrs' own business (its errors name the inner field).
        options = [option for option in typing.get_args(tp) if option is not type(None)]
        return _is_union(tp) and len(options) > 1 and any(map(is_model, options))

    converter.register_structure_hook_func(is_models_union, structure_union)
    return converter


_converter = _make_converter()


def unstructure(value: object) -> Any:
    """A model (or a list of them) as JSON-ready data, by wire name."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_converter.unstructure(item) for item in value]
    return _converter.unstructure(value)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_constant=_reject_constant)


def loads_json(body: bytes) -> Any:
    """Parse a JSON body strictly (UTF-8, no NaN/Infinity); ValueError or UnicodeDecodeError."""
    return _decoder.decode(body.decode("utf-8"))


def structure(data: Any, cls: type[T], *, what: str) -> T:
    """Structure decoded JSON into the model ``cls`` or raise ``ResponseFormatError``."""
    if not isinstance(data, dict):
        raise ResponseFormatError(f"{what} answered with JSON {type(data).__name__}, not an object")
    result: T = structure_as(data, cls, what=what)
    return result


def structure_as(data: Any, tp: Any, *, what: str) -> Any:
    """Decoded JSON as ``tp`` (a model, a tuple of them, a ``str``, ...), every failure a
    ``ResponseFormatError`` naming the field."""
    # cattrs' errors carry the values they refused (a token among them): the error raised is
    # built in the handler and raised outside it, so they never ride along as __context__.
    try:
        return _converter.structure(data, tp)
    except (ClassValidationError, IterableValidationError) as exc:
        failure = ResponseFormatError(
            f"{what} answered with an unexpected body: {'; '.join(transform_error(exc))}"
        )
    except Exception as exc:  # a hook raising something unforeseen: still a format problem
        failure = ResponseFormatError(
            f"{what} answered with an unexpected body ({type(exc).__name__})"
        )
    raise failure


def parse_body(body: bytes, cls: type[T], *, what: str) -> T:
    """Decode and structure a 2xx body; every failure is a ``ResponseFormatError``."""
    if not body.strip():
        raise ResponseFormatError(f"{what} answered with an empty body where JSON was expected")
    data = read_json(body, what=what)
    return structure(data, cls, what=what)


def read_json(body: bytes, *, what: str) -> Any:
    """Decode a JSON body; ``ResponseFormatError`` if it is not JSON.

    ``JSONDecodeError`` keeps the whole document (tokens and all) and ``UnicodeDecodeError``
    the raw bytes: neither is left as the raised error's ``__context__``.
    """
    try:
        return loads_json(body)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ResponseFormatError(f"{what} answered with a body that is not valid JSON")
