"""Plain data between the batch grader and a submission's sandbox (both sides run this file).

Standard library and NumPy only: inside the sandbox it is the top-level
module ``wire``, next to ``runner`` and ``helpers``; the grader imports it as
``nnlib.grading.sandbox.wire``. A message is a 4-byte big-endian length and
that many bytes of JSON. Values travel as JSON: ``None``, ``bool``, ``int``,
``float`` (NaN and inf included) and ``str`` as themselves, everything else as
an object with a type tag ``"t"``:

=========  ===============================================================
``nd``     array: ``dtype`` (numbers and booleans only), ``shape``, ``data``
           (base64 of the C-order bytes; no pickle), ``id``, optional ``views``
``scalar`` NumPy scalar: ``dtype`` and ``data``
``tuple``  ``items``; ``list`` and ``dict`` also carry an ``id``
``rng``    ``np.random.Generator``: bit generator name and state
``ref``    the object with this ``id`` (sent before, or earlier in this message)
``helper`` an instance of a class of :mod:`helpers`, ``fn`` a function of it
``ufunc``  a NumPy ufunc by name (``np.tanh``)
``obj``    (sandbox to grader only) any other object of the learner's: its type
           name, whether it is callable or iterable, its signature, the names
           of its public methods
=========  ===============================================================

Identity crosses too: every list, dict, array and generator gets an ``id``
(``g1``, ``g2``... for the grader's objects, ``s1``... for the sandbox's), and
a side that receives an ``id`` it already knows updates that object in place
instead of making a new one. So an argument the learner changes in place is
changed in place on the grader's side, a result that *is* an input arrives as
that input, and ``params[i] is originals[i]`` means the same on both sides.
Nothing received is ever executed or unpickled; :func:`decode` refuses
anything outside this format (:class:`WireError`).
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import numpy as np

MAX_DEPTH = 48
MAX_ITEMS = 1_000_000
MAX_STR = 20_000
MAX_MESSAGE = 512 * 2**20
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class WireError(ValueError):
    """A message that does not follow the format (or a value that cannot be sent)."""


class Table:
    """The objects that crossed the wire, both ways: ``id`` string <-> object.

    Keeps every object alive for the whole submission, so ``id()`` values
    are never reused while the table exists.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.by_obj: dict[int, str] = {}
        self.by_wid: dict[str, Any] = {}
        self.count = 0

    def wid(self, obj: Any) -> str:
        w = self.by_obj.get(id(obj))
        if w is not None and self.by_wid.get(w) is obj:
            return w
        self.count += 1
        w = f"{self.prefix}{self.count}"
        self.bind(w, obj)
        return w

    def bind(self, wid: str, obj: Any) -> None:
        self.by_wid[wid] = obj
        self.by_obj[id(obj)] = wid

    def get(self, wid: Any) -> Any:
        if not isinstance(wid, str) or wid not in self.by_wid:
            raise WireError(f"unknown object id {str(wid)[:20]!r}")
        return self.by_wid[wid]


# ------------------------------------------------------------------ framing


def pack(message: Any) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return struct.pack(">I", len(body)) + body


def unpack_header(header: bytes, limit: int = MAX_MESSAGE) -> int:
    (size,) = struct.unpack(">I", header)
    if size > limit:
        raise WireError(f"a message of {size} bytes is too large")
    return size


def loads(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise WireError(f"not JSON: {type(err).__name__}") from None


# ------------------------------------------------------------------ encoding


def _dtype_ok(dt: np.dtype) -> bool:
    return dt.kind in "biufc" and dt.fields is None and dt.subdtype is None and dt.itemsize <= 16


def encode(
    value: Any, table: Table, extra: Any = None, *, views: Any = None, same: Any = None
) -> Any:
    """``value`` as JSON-able data.

    ``extra(value, table, encode_item)`` encodes what this module does not know
    (it returns a dict, or raises :class:`WireError`); ``views(array)`` gives the ids of
    inputs an array shares memory with; ``same(value)`` true sends a list, dict,
    array or generator the other side already holds unchanged as a ``ref``.
    """
    seen: set[int] = set()
    count = [0]

    def enc(v: Any, depth: int) -> Any:
        count[0] += 1
        if count[0] > MAX_ITEMS:
            raise WireError("too many values")
        if depth > MAX_DEPTH:
            raise WireError("nested too deeply")
        t = type(v)
        if v is None or t is bool or t is int or t is float:
            if t is int and v.bit_length() > 4000:
                raise WireError("an integer too large to send")
            return v
        if t is str:
            return v if len(v) <= MAX_STR else v[:MAX_STR]
        if t is complex:
            return {"t": "complex", "v": [v.real, v.imag]}
        if isinstance(v, tuple):  # a namedtuple too: the check sees a tuple
            return {"t": "tuple", "items": [enc(x, depth + 1) for x in tuple(v)]}
        if isinstance(v, np.generic) and _dtype_ok(v.dtype):
            a = np.asarray(v)
            return {"t": "scalar", "dtype": a.dtype.str, "data": _b64(a)}
        if isinstance(v, list | dict | np.ndarray | np.random.Generator):
            w = table.wid(v)
            if id(v) in seen or (same is not None and same(v)):
                return {"t": "ref", "id": w}
            seen.add(id(v))
            if isinstance(v, list):
                return {"t": "list", "id": w, "items": [enc(x, depth + 1) for x in list(v)]}
            if isinstance(v, dict):
                items = [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in list(v.items())]
                return {"t": "dict", "id": w, "items": items}
            if isinstance(v, np.random.Generator):
                bg = v.bit_generator
                return {"t": "rng", "id": w, "bitgen": type(bg).__name__, "state": bg.state}
            a = np.asarray(v)
            if _dtype_ok(a.dtype):
                out = {"t": "nd", "id": w, "dtype": a.dtype.str, "shape": list(a.shape)}
                out["data"] = _b64(a)
                if not a.flags.writeable:
                    out["readonly"] = True
                if views is not None:
                    shared = views(v)
                    if shared:
                        out["views"] = shared
                return out
        if extra is None:
            raise WireError(f"cannot send a {t.__name__}")
        return extra(v, table, lambda x: enc(x, depth + 1))

    return enc(value, 0)


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


# ------------------------------------------------------------------ decoding


def _dtype(text: Any) -> np.dtype:
    if not isinstance(text, str) or len(text) > 8:
        raise WireError("bad dtype")
    try:
        dt = np.dtype(text)
    except TypeError:
        raise WireError("bad dtype") from None
    if not _dtype_ok(dt):
        raise WireError(f"dtype {dt} cannot be sent")
    return dt


def _array(msg: dict) -> np.ndarray:
    dt = _dtype(msg.get("dtype"))
    shape = msg.get("shape")
    if (
        not isinstance(shape, list)
        or len(shape) > 32
        or not all(type(n) is int and 0 <= n < 2**40 for n in shape)
    ):
        raise WireError("bad shape")
    data = msg.get("data")
    if not isinstance(data, str):
        raise WireError("bad array data")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except ValueError:
        raise WireError("bad array data") from None
    size = 1
    for n in shape:
        size *= n
    if size * dt.itemsize != len(raw):
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()


def decode(msg: Any, table: Table, extra: Any = None) -> Any:
    """The value ``msg`` stands for; known ids are updated in place (see the module doc).

    ``extra(msg, table, decode_item)`` decodes other type tags (or raises).
    """
    count = [0]

    def dec(m: Any, depth: int) -> Any:
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
            raise WireError("too many or too deeply nested values")
        t = type(m)
        if m is None or t is bool or t is int or t is float or t is str:
            return m
        if t is not dict:
            raise WireError("a value must be a scalar or a tagged object")
        tag = m.get("t")
        if tag == "ref":
            return table.get(m.get("id"))
        if tag == "complex":
            v = m.get("v")
            if not (isinstance(v, list) and len(v) == 2 and all(type(x) is float for x in v)):
                raise WireError("bad complex")
            return complex(v[0], v[1])
        if tag == "tuple":
            return tuple(dec(x, depth + 1) for x in _items(m))
        if tag == "scalar":
            dt = _dtype(m.get("dtype"))
            a = _array({"dtype": m["dtype"], "shape": [], "data": m.get("data")})
            return a.astype(dt)[()]
        wid = m.get("id")
        if not isinstance(wid, str) or len(wid) > 24:
            if tag in ("nd", "list", "dict", "rng"):
                raise WireError("missing id")
        known = table.by_wid.get(wid) if isinstance(wid, str) else None
        if tag == "nd":
            a = _array(m)
            if (
                isinstance(known, np.ndarray)
                and known.shape == a.shape
                and known.dtype == a.dtype
                and known.flags.writeable
            ):
                np.copyto(known, a)
                return known
            if m.get("readonly") is True:
                a.flags.writeable = False
            table.bind(wid, a)
            return a
        if tag == "list":
            target = known if type(known) is list else []
            table.bind(wid, target)
            target[:] = [dec(x, depth + 1) for x in _items(m)]
            return target
        if tag == "dict":
            target = known if type(known) is dict else {}
            table.bind(wid, target)
            pairs = []
            for pair in _items(m):
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise WireError("bad dict item")
                key = dec(pair[0], depth + 1)
                try:
                    hash(key)
                except TypeError:
                    raise WireError("unhashable dict key") from None
                pairs.append((key, dec(pair[1], depth + 1)))
            target.clear()
            target.update(pairs)
            return target
        if tag == "rng":
            name, state = m.get("bitgen"), m.get("state")
            if name not in BIT_GENERATORS or not isinstance(state, dict):
                raise WireError("bad random generator")
            rng = known if isinstance(known, np.random.Generator) else None
            if rng is None or type(rng.bit_generator).__name__ != name:
                rng = np.random.Generator(getattr(np.random, name)())
            try:
                rng.bit_generator.state = state
            except Exception:
                raise WireError("bad random generator state") from None
            table.bind(wid, rng)
            return rng
        if extra is None:
            raise WireError(f"unknown value type {str(tag)[:20]!r}")
        return extra(m, table, lambda x: dec(x, depth + 1))

    return dec(msg, 0)


def _items(m: dict) -> list:
    items = m.get("items")
    if not isinstance(items, list):
        raise WireError("bad items")
    return items
