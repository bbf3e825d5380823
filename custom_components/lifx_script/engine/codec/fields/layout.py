"""Layouts (ordered fields compiled to one struct format) and compound types."""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any, NamedTuple

from ..errors import FieldError
from .base import MISSING, REQUIRED, FieldType, Items, Scalar, resolve_default
from .color import ColorType, _color_array_items, colors_from_wire
from .text import Bytes, Reserved


class Spec(NamedTuple):
    """One entry of a table: a field's name, type and default."""

    name: str
    type: FieldType
    default: Any = REQUIRED


def reserved(size: int) -> Spec:
    """A reserved gap of ``size`` bytes."""
    return Spec("reserved", Reserved(size), None)


class Layout:
    """An ordered list of fields compiled to a struct format and item offsets."""

    def __init__(self, owner: str, specs: Sequence[Spec]) -> None:
        self.owner = owner
        fmt: list[str] = []
        fields: list[tuple[str, FieldType, Any, int]] = []
        offsets: dict[str, int] = {}
        byte_offsets: dict[str, int] = {}
        n = 0
        size = 0
        for spec in specs:
            ftype = spec.type
            fmt.append(ftype.fmt)
            start = size
            size += ftype.size
            if isinstance(ftype, Reserved):
                continue
            if spec.name in offsets:
                raise ValueError(f"{owner}: duplicate field {spec.name}")
            offsets[spec.name] = n
            byte_offsets[spec.name] = start
            fields.append((spec.name, ftype, spec.default, n))
            n += ftype.n
        self.fmt = "".join(fmt)
        self.n = n
        self.size = size
        self.fields = tuple(fields)
        self.offsets = offsets
        #: where each field's bytes start in the packed layout
        self.byte_offsets = byte_offsets
        self.names = tuple(f[0] for f in fields)
        self.name_set = frozenset(self.names)
        self.types = {f[0]: f[1] for f in fields}
        self.defaults = {f[0]: f[2] for f in fields}
        for name, ftype, _, idx in fields:
            if isinstance(ftype, Union):
                if ftype.selector not in offsets:
                    raise ValueError(f"{owner}: union {name} needs field {ftype.selector}")
                ftype.bind(offsets[ftype.selector] - idx)
        if struct.calcsize("<" + self.fmt) != size:
            raise ValueError(f"{owner}: layout size mismatch")

    def encode_mapping(self, values: Mapping[str, Any], out: list[Any], raw: bool = False) -> None:
        """Append the items of every field, taking values (or defaults) from a mapping."""
        if not self.name_set.issuperset(values):
            for key in values:
                if key not in self.name_set:
                    raise FieldError("unknown field", values[key], str(key))
        for name, ftype, default, _ in self.fields:
            value = values.get(name, MISSING)
            try:
                if value is MISSING:
                    ftype.encode(resolve_default(default, values), out)
                elif raw:
                    ftype.encode_raw(value, out)
                else:
                    ftype.encode(value, out)
            except FieldError as error:
                raise error.within(name) from None

    def decode_dict(self, items: Items, base: int) -> dict[str, Any]:
        """Human values of every field, by name."""
        return {name: ftype.decode(items, base + idx) for name, ftype, _, idx in self.fields}

    def decode_raw_dict(self, items: Items, base: int) -> dict[str, Any]:
        """Wire values of every field, by name."""
        return {name: ftype.decode_raw(items, base + idx) for name, ftype, _, idx in self.fields}

    def zero(self, out: list[Any]) -> None:
        for _, ftype, _, _ in self.fields:
            ftype.zero(out)


class Struct(FieldType):
    """A nested record (TileStateDevice, Button, ButtonAction) read back as a NamedTuple."""

    def __init__(self, name: str, value_cls: Any, specs: Sequence[Spec]) -> None:
        self.name = name
        self.value_cls = value_cls
        self.layout = Layout(name, specs)
        if tuple(self.layout.names) != tuple(value_cls._fields):
            raise ValueError(f"{name}: NamedTuple fields differ from the layout")
        self.fmt = self.layout.fmt
        self.n = self.layout.n
        self.size = self.layout.size

    def _as_mapping(self, value: Any) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        if hasattr(value, "_asdict"):
            return value._asdict()  # type: ignore[no-any-return]
        if isinstance(value, tuple | list) and len(value) <= len(self.layout.names):
            return dict(zip(self.layout.names, value, strict=False))
        raise FieldError(f"expected a {self.name} (dict)", value)

    def encode(self, value: Any, out: list[Any]) -> None:
        self.layout.encode_mapping(self._as_mapping(value), out)

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        self.layout.encode_mapping(self._as_mapping(value), out, raw=True)

    def decode(self, items: Items, i: int) -> Any:
        return self.value_cls(
            *[ftype.decode(items, i + idx) for _, ftype, _, idx in self.layout.fields]
        )

    def decode_raw(self, items: Items, i: int) -> Any:
        return self.layout.decode_raw_dict(items, i)

    def zero(self, out: list[Any]) -> None:
        self.layout.zero(out)

    def describe(self) -> str:
        return self.name


class Array(FieldType):
    """A fixed number of elements; shorter lists are zero-padded, longer ones are errors."""

    def __init__(self, elem: FieldType, count: int) -> None:
        self.elem = elem
        self.count = count
        if isinstance(elem, Scalar) and elem.fmt.isalpha() and len(elem.fmt) == 1:
            self.fmt = f"{count}{elem.fmt}"
        else:
            self.fmt = elem.fmt * count
        self.n = elem.n * count
        self.size = elem.size * count
        self._fast_color = isinstance(elem, ColorType)

    def _check(self, value: Any) -> Sequence[Any]:
        if not isinstance(value, list | tuple) or hasattr(value, "_asdict"):
            raise FieldError(f"expected a list of at most {self.count} items", value)
        if len(value) > self.count:
            raise FieldError(f"at most {self.count} items, got {len(value)}", value)
        return value

    def encode(self, value: Any, out: list[Any]) -> None:
        seq = self._check(value)
        if self._fast_color:
            items = _color_array_items(seq, self.count)
            if items is not None:
                out += items
                return
        elem = self.elem
        for index, item in enumerate(seq):
            try:
                elem.encode(item, out)
            except FieldError as error:
                raise error.within(f"[{index}]") from None
        for _ in range(self.count - len(seq)):
            elem.zero(out)

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        seq = self._check(value)
        elem = self.elem
        for index, item in enumerate(seq):
            try:
                elem.encode_raw(item, out)
            except FieldError as error:
                raise error.within(f"[{index}]") from None
        for _ in range(self.count - len(seq)):
            elem.zero(out)

    def decode(self, items: Items, i: int) -> Any:
        if self._fast_color:
            return colors_from_wire(items, i, self.count)
        step = self.elem.n
        decode = self.elem.decode
        return tuple([decode(items, i + k * step) for k in range(self.count)])

    def decode_raw(self, items: Items, i: int) -> Any:
        step = self.elem.n
        decode = self.elem.decode_raw
        return [decode(items, i + k * step) for k in range(self.count)]

    def zero(self, out: list[Any]) -> None:
        for _ in range(self.count):
            self.elem.zero(out)

    def describe(self) -> str:
        return f"{self.elem.describe()}[{self.count}]"


class Union(FieldType):
    """Bytes whose layout depends on an earlier field (the selector), e.g. effect parameters.

    The human value is a dict of the chosen variant's fields; the raw value is
    the bytes. Types no variant describes use ``fallback``.
    """

    def __init__(
        self,
        name: str,
        selector: str,
        size: int,
        variants: Mapping[int, Sequence[Spec]],
        fallback: Sequence[Spec],
    ) -> None:
        self.name = name
        self.selector = selector
        self.size = size
        self.fmt = f"{size}s"
        self.n = 1
        self.delta: int | None = None
        self._layouts: dict[int, tuple[Layout, struct.Struct]] = {}
        for key, specs in variants.items():
            self._layouts[key] = self._compile(f"{name}[{key}]", specs)
        self._fallback = self._compile(f"{name}[*]", fallback)

    def _compile(self, owner: str, specs: Sequence[Spec]) -> tuple[Layout, struct.Struct]:
        layout = Layout(owner, specs)
        if layout.size != self.size:
            raise ValueError(f"{owner}: variant is {layout.size} bytes, not {self.size}")
        return layout, struct.Struct("<" + layout.fmt)

    def bind(self, delta: int) -> None:
        """Record where the selector's item sits relative to this field's item."""
        if delta >= 0:
            raise ValueError(f"{self.name}: the selector must come before the union")
        if self.delta is not None and self.delta != delta:
            raise ValueError(f"{self.name}: union bound twice at different offsets")
        self.delta = delta

    def variant(self, selector_value: int) -> Layout:
        """The layout used for a selector value."""
        return self._layouts.get(selector_value, self._fallback)[0]

    def _selected(self, items: Items, i: int) -> tuple[Layout, struct.Struct]:
        assert self.delta is not None
        return self._layouts.get(int(items[i + self.delta]), self._fallback)

    def encode(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, bytes | bytearray | memoryview):
            self.encode_raw(value, out)
            return
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise FieldError(f"expected a dict of {self.name}", value)
        assert self.delta is not None
        layout, packer = self._layouts.get(int(out[len(out) + self.delta]), self._fallback)
        sub: list[Any] = []
        layout.encode_mapping(value, sub)
        out.append(packer.pack(*sub))

    def encode_raw(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, Mapping):
            self.encode(value, out)
            return
        Bytes(self.size).encode(value, out)

    def decode(self, items: Items, i: int) -> Any:
        layout, packer = self._selected(items, i)
        data: bytes = items[i]
        if len(data) < self.size:
            data = data.ljust(self.size, b"\x00")
        return layout.decode_dict(packer.unpack(data), 0)

    def decode_raw(self, items: Items, i: int) -> Any:
        data: bytes = items[i]
        return data.ljust(self.size, b"\x00")

    def zero(self, out: list[Any]) -> None:
        out.append(bytes(self.size))

    def describe(self) -> str:
        return f"union {self.name} by {self.selector}"


def jsonable(value: Any) -> Any:
    """JSON-serialisable form of a decoded value: enums by name, bytes as hex, dicts for records."""
    if isinstance(value, IntEnum):
        return value.name
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if hasattr(value, "_asdict"):
        return {k: jsonable(v) for k, v in value._asdict().items()}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
