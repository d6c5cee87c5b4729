"""A small, strict decoder of Thrift's compact protocol, for parquet footers.

Structs decode to ``{field id: value}``, lists and sets to lists, maps to lists of pairs,
binary fields to bytes. It is written in Python on purpose: any damaged or hostile input ends
in :class:`ThriftError`, never in a crash of the process, which is what the compiled decoders
at hand (pyarrow's metadata accessors, fastparquet's decoder) do on some damaged footers.
Sizes are checked against the bytes left and nesting is bounded, so a small footer cannot ask
for large allocations.
"""

from __future__ import annotations

import struct
from typing import Any

#: Deeper nesting than a parquet footer has (its deepest struct is about 6 levels down).
MAX_DEPTH = 32

_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(
    13
)


class ThriftError(ValueError):
    """The bytes are not a valid compact-protocol struct."""


class _Reader:
    """The decoder's state: the bytes and the position. The hot paths (a struct's field
    headers, integers, binaries, lists of integers) read bytes inline rather than through
    method calls: a footer of a few thousand columns has hundreds of thousands of values."""

    __slots__ = ("at", "data")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise ThriftError("the struct ends early")
        value = self.data[self.at]
        self.at += 1
        return value

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise ThriftError("a value runs past the end")
        out = self.data[self.at : self.at + n]
        self.at += n
        return out

    def varint(self) -> int:
        data, at, end = self.data, self.at, len(self.data)
        shift = result = 0
        while True:
            if at >= end:
                raise ThriftError("the struct ends early")
            b = data[at]
            at += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                self.at = at
                return result
            shift += 7
            if shift > 63:
                raise ThriftError("a varint is too long")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def size(self) -> int:
        n = self.varint()
        if n > len(self.data) - self.at:
            raise ThriftError("a size is larger than the bytes left")
        return n

    def integers(self, count: int) -> list[int]:
        """``count`` zigzag varints (a list of i16, i32 or i64)."""
        data, at, end = self.data, self.at, len(self.data)
        out = []
        for _ in range(count):
            shift = n = 0
            while True:
                if at >= end:
                    raise ThriftError("the struct ends early")
                b = data[at]
                at += 1
                n |= (b & 0x7F) << shift
                if b < 0x80:
                    break
                shift += 7
                if shift > 63:
                    raise ThriftError("a varint is too long")
            out.append((n >> 1) ^ -(n & 1))
        self.at = at
        return out

    def value(self, kind: int, depth: int) -> Any:
        if kind in (_TRUE, _FALSE):
            # Inside a list a bool is a byte of its own; as a field it is the type itself.
            return kind == _TRUE
        if kind == _BYTE:
            return self.byte()
        if kind in (_I16, _I32, _I64):
            return self.zigzag()
        if kind == _DOUBLE:
            return struct.unpack("<d", self.take(8))[0]
        if kind == _BINARY:
            return self.take(self.size())
        if kind in (_LIST, _SET):
            header = self.byte()
            count, element = header >> 4, header & 0x0F
            if count == 15:
                count = self.size()
            if element in (_TRUE, _FALSE):
                return [self.byte() == _TRUE for _ in range(count)]
            if element in (_I16, _I32, _I64):
                return self.integers(count)
            if element == _STRUCT:
                return [self.struct(depth + 1) for _ in range(count)]
            return [self.value(element, depth + 1) for _ in range(count)]
        if kind == _MAP:
            count = self.size()
            if count == 0:
                return []
            types = self.byte()
            return [
                (self.value(types >> 4, depth + 1), self.value(types & 0x0F, depth + 1))
                for _ in range(count)
            ]
        if kind == _STRUCT:
            return self.struct(depth + 1)
        raise ThriftError(f"unknown field type {kind}")

    def struct(self, depth: int = 0) -> dict[int, Any]:
        if depth > MAX_DEPTH:
            raise ThriftError("the structs nest too deep")
        data, end = self.data, len(self.data)
        fields: dict[int, Any] = {}
        last = 0
        at = self.at
        while True:
            if at >= end:
                raise ThriftError("the struct ends early")
            header = data[at]
            at += 1
            kind = header & 0x0F
            if kind == _STOP:
                self.at = at
                return fields
            delta = header >> 4
            if delta:
                last += delta
            else:
                self.at = at
                last = self.zigzag()
                at = self.at
            if kind in (_I16, _I32, _I64) or kind == _BINARY:
                shift = n = 0
                while True:
                    if at >= end:
                        raise ThriftError("the struct ends early")
                    b = data[at]
                    at += 1
                    n |= (b & 0x7F) << shift
                    if b < 0x80:
                        break
                    shift += 7
                    if shift > 63:
                        raise ThriftError("a varint is too long")
                if kind == _BINARY:
                    if n > end - at:
                        raise ThriftError("a size is larger than the bytes left")
                    fields[last] = data[at : at + n]
                    at += n
                else:
                    fields[last] = (n >> 1) ^ -(n & 1)
            elif kind in (_TRUE, _FALSE):
                fields[last] = kind == _TRUE
            else:
                self.at = at
                fields[last] = self.value(kind, depth)
                at = self.at


def decode_struct(data: bytes) -> dict[int, Any]:
    """The struct ``data`` encodes, or :class:`ThriftError`."""
    return _Reader(data).struct()
