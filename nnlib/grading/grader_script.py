"""How checks travel: one script of calls per round trip, fixed before any of its results is seen.

A check runs in the grader's process; the learner's code runs in the sandbox.
:func:`run_scripted` runs one check in rounds:

1. **record**: the check runs with the results of the calls already sent
   (replayed, below) and, past them, *records* each further call of learner
   code (its target and arguments, as the wire would send them) and returns a
   placeholder for its result. While it records, every test of the check
   (:meth:`Check.compare`, :meth:`Check.require`, the in-place and alias tests)
   is taken as passed, as it would be for a correct answer. The recording
   stops at the first use of a placeholder (its value, type, length, an
   attribute: :class:`Boundary`), or when the check ends.
2. **run**: the recorded calls go to the sandbox as one ``script`` request;
   the runner runs them all, in order, whatever each returns, and answers
   with every call's reply (plain data, as for a single call).
3. **replay**: the check runs again from the start; each call of learner code
   gets the reply of the script's call at the same position after its
   target and arguments are checked equal to what was sent. A call that
   differs (the check took another path because of an earlier result) ends
   the check as failed (:class:`Diverged`), never passed. When the check
   needs a call past the script, the round repeats from 1; when it ends
   without one, its verdict is the check's verdict on the replayed facts.

What the learner's code can observe: the calls of a script, all sent before
any of their results reached the grader; and, between scripts, that another
script came. A further script is sent only after the replay consumed every
earlier result without failing (a check that has failed sends nothing more),
and its calls are what a correct answer leads to, so their arguments do not
depend on how the check judged the learner's results.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from .checks import RECORDING
from .sandbox import wire


class Boundary(BaseException):
    """The recording used a result it does not have: the script ends here."""


class Diverged(BaseException):
    """On replay, the check called learner code other than the script's next call."""


def _boundary(*_args: Any, **_kwargs: Any) -> Any:
    raise Boundary


class Placeholder:
    """The result of a recorded call: any use of it ends the recording."""

    __slots__ = ()

    @property
    def __class__(self) -> type:  # isinstance() asks for it
        raise Boundary

    def __getattr__(self, name: str) -> Any:
        raise Boundary

    def __repr__(self) -> str:
        return "<result not known yet>"


for _name in (
    "__bool__ __len__ __iter__ __next__ __getitem__ __setitem__ __contains__ __call__ "
    "__eq__ __ne__ __lt__ __le__ __gt__ __ge__ __hash__ __float__ __int__ __index__ "
    "__complex__ __array__ __array_ufunc__ __array_function__ __neg__ __pos__ __abs__ "
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ "
    "__floordiv__ __rfloordiv__ __mod__ __rmod__ __pow__ __rpow__ __matmul__ __rmatmul__ "
    "__and__ __rand__ __or__ __ror__ __xor__ __rxor__ __invert__ __format__ __copy__ "
    "__deepcopy__ __reduce__ __reduce_ex__ __round__ __enter__ __exit__"
).split():
    setattr(Placeholder, _name, _boundary)


def fingerprint(v: Any, depth: int = 0) -> Any:
    """What a value holds, with the identity of what it contains (for :meth:`Round.same`)."""
    if depth > wire.MAX_DEPTH:
        return None
    if isinstance(v, np.ndarray):
        data = hashlib.blake2b(np.ascontiguousarray(v).tobytes(), digest_size=16).hexdigest()
        return ("nd", v.dtype.str, v.shape, v.flags.writeable, data)
    if isinstance(v, list | tuple):
        return (type(v).__name__, tuple((id(x), fingerprint(x, depth + 1)) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple((k, id(x), fingerprint(x, depth + 1)) for k, x in v.items()))
    if isinstance(v, np.random.Generator):
        return ("rng", json.dumps(v.bit_generator.state, default=str))
    return ("other", id(v))


class Round:
    """One run of a check: replays ``known`` (sent calls and replies), records past it."""

    def __init__(self, session: Any, known: list[tuple[str, dict, dict]], table: wire.Table):
        self.session, self.known, self.table = session, known, table
        self.position = 0
        self.new: list[dict] = []
        self.synced: dict[int, Any] = {}
        self.recording = None

    # -- what the sandbox already holds unchanged --------------------------------
    def same(self, v: Any) -> bool:
        return id(v) in self.synced and self.synced[id(v)] == fingerprint(v)

    def sync(self, *values: Any) -> None:
        stack = list(values)
        while stack:
            v = stack.pop()
            if isinstance(v, np.ndarray | list | dict | np.random.Generator):
                self.synced[id(v)] = fingerprint(v)
            if isinstance(v, list | tuple):
                stack += list(v)
            elif isinstance(v, dict):
                stack += list(v.values())

    # -- calls -------------------------------------------------------------------
    def request(self, message: dict, args: tuple, kwargs: dict) -> tuple[dict | None, Any]:
        """The reply to ``message`` on replay, or None (recorded: the result is a placeholder)."""
        text = json.dumps(message, sort_keys=True, separators=(",", ":"))
        self.sync(args, kwargs)
        if self.position < len(self.known):
            sent, reply = self.known[self.position][:2]
            self.position += 1
            if text != sent:
                raise Diverged
            return reply, None
        if self.recording is None:
            self.recording = RECORDING.set(self)
        self.position += 1
        self.new.append(message)
        return None, Placeholder()

    def unpack(self, got: Any, n: int) -> tuple | None:
        """Placeholders for the values of a placeholder result; None for a real one."""
        if type(got) is Placeholder:
            return tuple(Placeholder() for _ in range(n))
        return None

    def stop_recording(self) -> None:
        if self.recording is not None:
            RECORDING.reset(self.recording)
            self.recording = None


def _clone(table: wire.Table) -> wire.Table:
    copy = wire.Table(table.prefix)
    copy.by_obj, copy.by_wid, copy.count = dict(table.by_obj), dict(table.by_wid), table.count
    return copy


def run_scripted(session: Any, run_check: Any, limit: int = 1000) -> tuple[Any, int]:
    """Run ``run_check()`` (one check) in rounds; its result and the number of scripts sent.

    ``run_check`` runs the check and returns its row (it catches the check's
    own failures); a divergence on replay returns a failed row here.
    """
    base = session.table
    known: list[tuple[str, dict, dict]] = []
    scripts, count = 0, base.count
    try:
        while True:
            table = _clone(base)
            rnd = Round(session, known, table)
            session.table, session.script = table, rnd
            try:
                row = run_check()
            except Boundary:
                row = None
            except Diverged:
                row = {"status": "failed", "kind": "diverged", "message": DIVERGED}
            finally:
                rnd.stop_recording()
                session.script = None
                count = max(count, table.count)
            if not rnd.new or row is not None and row.get("kind") == "diverged":
                session.table = table
                return row or {"status": "failed", "kind": "exception", "message": ""}, scripts
            if scripts >= limit:
                session.table = table
                return {"status": "failed", "kind": "exception", "message": TOO_MANY}, scripts
            reply = session.request({"op": "script", "calls": rnd.new})
            replies = reply.get("replies")
            if not isinstance(replies, list) or len(replies) != len(rnd.new):
                session.table = table
                return {"status": "failed", "kind": "protocol", "message": UNREADABLE}, scripts
            scripts += 1
            for message, answer in zip(rnd.new, replies, strict=True):
                text = json.dumps(message, sort_keys=True, separators=(",", ":"))
                known.append((text, answer if isinstance(answer, dict) else {}, message))
    finally:
        session.script = None
        session.table.count = max(session.table.count, count)


DIVERGED = (
    "the check stopped: after your earlier results it needed a call of your code other "
    "than the ones it had sent, so at least one earlier result was not the correct one"
)
TOO_MANY = "the check needed too many rounds of calls"
UNREADABLE = "the notebook's process sent an unreadable answer"
