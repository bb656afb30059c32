"""The plain-data wire between the grader and a sandbox: identity crosses, nothing else does."""

import json

import numpy as np
import pytest

from nnlib.grading.sandbox import helpers, wire


def roundtrip(value, sender=None, receiver=None):
    sender, receiver = sender or wire.Table("g"), receiver or wire.Table("s")
    message = json.loads(json.dumps(wire.encode(value, sender)))
    return wire.decode(message, receiver), sender, receiver


def test_values_keep_their_types_dtypes_and_shapes():
    value = {
        "x": np.arange(6, dtype=np.float32).reshape(2, 3),
        "n": np.int64(3),
        "t": (1, 2.5, None, True, "s", complex(1, 2)),
        "nan": float("nan"),
        "empty": np.zeros((0, 4)),
        "mask": np.array([True, False]),
    }
    got, _, _ = roundtrip(value)
    assert got["x"].dtype == np.float32 and np.array_equal(got["x"], value["x"])
    assert type(got["n"]) is np.int64 and got["n"] == 3
    assert got["t"] == value["t"] and np.isnan(got["nan"])
    assert got["empty"].shape == (0, 4) and got["mask"].dtype == bool


def test_subclasses_of_tuples_lists_and_dicts_arrive_as_the_plain_types():
    import collections

    pair = collections.namedtuple("Pair", "a b")(np.ones(2), 3)
    got, _, _ = roundtrip([pair, collections.OrderedDict(w=np.zeros(1))])
    assert type(got[0]) is tuple and got[0][1] == 3 and type(got[1]) is dict


def test_a_known_object_is_updated_in_place_and_keeps_its_identity():
    g, s = wire.Table("g"), wire.Table("s")
    params = [np.zeros(3), np.ones(2)]
    there, _, _ = roundtrip(params, g, s)
    there[0] += 1.0  # the learner changes an array in place ...
    there[1] = np.full(2, 5.0)  # ... and replaces another in the list
    first = params[0]
    back = wire.decode(json.loads(json.dumps(wire.encode(there, s))), g)
    assert back is params and params[0] is first and np.array_equal(first, [1, 1, 1])
    assert np.array_equal(params[1], [5, 5]) and params[1] is not first


def test_generators_travel_with_their_state():
    rng = np.random.default_rng(3)
    there, _, _ = roundtrip(rng)
    assert there.normal() == np.random.default_rng(3).normal()


def test_helpers_travel_by_name_and_state():
    g = wire.Table("g")

    def extra(v, table, enc):
        return {"t": "helper", "id": table.wid(v), "cls": type(v).__name__,
                "state": {k: enc(x) for k, x in v.state().items()}}  # fmt: skip

    step = helpers.ScriptedLosses([1.0, 2.0])
    message = wire.encode(step, g, extra)
    assert message["cls"] == "ScriptedLosses" and message["state"]["calls"] == 0


@pytest.mark.parametrize(
    "message",
    [
        {"t": "nd", "id": "g1", "dtype": "|O", "shape": [1], "data": ""},  # object arrays
        {"t": "nd", "id": "g1", "dtype": "<f8", "shape": [2], "data": "AAAA"},  # wrong size
        {"t": "nd", "id": "g1", "dtype": "<f8", "shape": [-1], "data": ""},
        {"t": "ref", "id": "s99"},  # never sent
        {"t": "pickle", "data": "gASV"},
        {"t": "rng", "id": "g1", "bitgen": "os.system", "state": {}},
        [1, 2, 3],  # untagged containers
        {"t": "tuple", "items": [{"t": "tuple", "items": []}] * 2} | {"items": "x"},
    ],
)
def test_anything_outside_the_format_is_refused(message):
    with pytest.raises(wire.WireError):
        wire.decode(message, wire.Table("g"))


def test_deep_nesting_is_refused_not_a_crash():
    message = {"t": "tuple", "items": []}
    for _ in range(200):
        message = {"t": "tuple", "items": [message]}
    with pytest.raises(wire.WireError, match="nested"):
        wire.decode(message, wire.Table("g"))
    nested = []
    for _ in range(200):
        nested = [nested]
    with pytest.raises(wire.WireError, match="nested"):
        wire.encode(nested, wire.Table("s"))
