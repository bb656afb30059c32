"""One submission's sandbox, and the grader's stand-ins for the learner's functions in it.

:func:`start` launches :mod:`nnlib.grading.sandbox.runner` (standard library
and NumPy only) in a bubblewrap sandbox (``mode="bwrap"``) or as a plain
child process (``mode="none"``) and returns a :class:`Session`, which sends it
requests over a pipe (see the runner for the protocol) with a deadline. The
grader's process never runs the learner's code: :meth:`Session.values` turns
the learner's names into :class:`RemoteObject` stand-ins, and calling one
sends the arguments (plain data, see :mod:`nnlib.grading.sandbox.wire`),
applies the arguments' states after the call to the grader's own objects (so
an in-place change shows on this side too), and returns the decoded result or
raises a stand-in for the learner's exception.

The bubblewrap sandbox
======================

New PID, IPC, network, UTS and cgroup namespaces (and a user namespace
when the grader is not root), ``--die-with-parent`` and ``--new-session``. Its
file system holds only: ``/usr`` (and the ``/bin``, ``/lib*`` links) read-only,
with the system's Python package folders hidden; the grader's Python
installation read-only at ``/sandbox/python`` with its ``site-packages``
hidden; NumPy and matplotlib (with their dependencies) at ``/sandbox/site``;
the runner's three files; fresh ``/proc``, ``/dev`` and ``/tmp``; and a
size-limited ``/work`` holding a copy of the submission. The source
notebooks, the check modules, nnlib, the output folder and the other
submissions are not in it. When the grader is root, the sandbox drops to a
uid of its own (``setpriv``, no capabilities, ``no_new_privs``), so that the
process limit holds. Resource limits: CPU seconds, address space, file size,
processes, open files, no core files. Everything in the sandbox is killed when
its first process ends (the PID namespace goes with it), when the grader
kills it, or when the grader dies.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib.util
import inspect
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .feedback import note_views
from .sandbox import helpers, wire

SANDBOX_DIR = Path(__file__).with_name("sandbox")
RUNNER_FILES = ("runner.py", "wire.py", "helpers.py")
#: What the sandbox may import besides the standard library.
ALLOWED_PACKAGES = (
    "numpy",
    "matplotlib",
    "mpl_toolkits",
    "PIL",
    "contourpy",
    "cycler",
    "dateutil",
    "fontTools",
    "kiwisolver",
    "packaging",
    "pyparsing",
    "six",
)
#: The largest answer the grader reads (bytes); a larger one stops the submission.
MAX_ANSWER = 64 * 2**20
#: Sandboxes run as a uid from this range when the grader is root (one per sandbox).
UID_RANGE = (1_000_000, 2_000_000)


class SandboxStopped(BaseException):
    """The sandbox stopped answering: ``status`` is "timed out" or "kernel died".

    A ``BaseException``, so that no check's ``except Exception`` turns it into
    a verdict on the learner's code.
    """

    def __init__(self, status: str, why: str) -> None:
        super().__init__(why)
        self.status, self.why = status, why


class ProtocolError(Exception):
    """The notebook's process answered something that is not a valid reply."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox."""

    memory_mb: int = 2048
    cpu_seconds: int = 900
    file_mb: int = 64
    disk_mb: int = 256
    processes: int = 64
    open_files: int = 256


# ------------------------------------------------------------------ launching


def bwrap_problem() -> str | None:
    """Why a bubblewrap sandbox cannot start here (None when it can)."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    argv = [exe, *_namespaces(), "--ro-bind", "/", "/", "--", "/bin/true"]
    try:
        run = subprocess.run(argv, capture_output=True, timeout=20, text=True)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap does not start: {err}"
    if run.returncode != 0:
        why = run.stderr.strip().splitlines()[-1:] or ["no message"]
        return (
            f"bubblewrap cannot create namespaces here ({why[0]}); it needs Linux with "
            "unprivileged user namespaces enabled, or root"
        )
    return None


def _namespaces() -> list[str]:
    ns = ["--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts"]
    ns += ["--unshare-cgroup-try"]
    if os.geteuid() != 0:
        ns.append("--unshare-user")
    return ns


def _package_paths() -> list[Path]:
    """Folders and files of the allowed packages, and the ``*.libs`` folders beside them."""
    found: list[Path] = []
    for name in ALLOWED_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        if spec.submodule_search_locations:
            found += [Path(p) for p in spec.submodule_search_locations]
        elif spec.origin:
            found.append(Path(spec.origin))
    libs = {p.parent for p in found}
    for folder in libs:
        found += sorted(folder.glob("*.libs"))
    unique: dict[str, Path] = {}
    for p in found:
        unique.setdefault(p.name, p)
    return list(unique.values())


def _python_dirs(prefix: Path) -> list[str]:
    """Package folders of the system and of the Python installation, to hide."""
    import site
    import sysconfig

    paths = set(site.getsitepackages()) | {site.getusersitepackages()}
    paths |= {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    base = {"base": str(prefix), "platbase": str(prefix)}  # the installation under a venv
    paths |= {sysconfig.get_paths(vars=base)[k] for k in ("purelib", "platlib")}
    paths |= {str(p) for p in prefix.glob("lib*/python3*/site-packages")}
    paths |= {str(p) for p in Path("/usr/lib").glob("python3*/*-packages")}
    paths |= {str(p) for p in Path("/usr/local/lib").glob("python3*")}
    hidden = []
    for p in sorted(paths):
        real = Path(os.path.realpath(p))
        if not real.is_dir():
            continue
        if real.is_relative_to(prefix):
            hidden.append("/sandbox/python/" + str(real.relative_to(prefix)))
        elif real.is_relative_to("/usr"):
            hidden.append(str(real))
    return hidden


def bwrap_argv(filename: str, fd: int, limits: Limits, uid: int | None) -> list[str]:
    """The bubblewrap command line for one submission (its copy read from ``fd``)."""
    prefix = Path(os.path.realpath(sys.base_prefix))
    exe = Path(os.path.realpath(sys.executable))
    exe_inside = "/sandbox/python/" + str(exe.relative_to(prefix))
    argv = [shutil.which("bwrap") or "bwrap", *_namespaces(), "--die-with-parent", "--new-session"]
    argv += ["--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(64 * 2**20), "--perms", "1777", "--tmpfs", "/tmp"]
    for d in ("/sandbox", "/sandbox/site", "/sandbox/lib"):
        argv += ["--perms", "0755", "--dir", d]
    argv += ["--ro-bind", str(prefix), "/sandbox/python"]
    for hidden in _python_dirs(prefix):
        argv += ["--tmpfs", hidden]
    for p in _package_paths():
        argv += ["--ro-bind", str(p), f"/sandbox/site/{p.name}"]
    for name in RUNNER_FILES:
        argv += ["--ro-bind", str(SANDBOX_DIR / name), f"/sandbox/lib/{name}"]
    argv += ["--size", str(limits.disk_mb * 2**20), "--perms", "0777", "--tmpfs", "/work"]
    argv += ["--perms", "0666", "--file", str(fd), f"/work/{filename}", "--chdir", "/work"]
    argv.append("--")
    if uid is not None:
        argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        argv += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    argv += [exe_inside, "-I", "-S", "-B", "/sandbox/lib/runner.py"]
    return argv


def _tasks_of(uid: int) -> int:
    """Processes and threads the user ``uid`` runs now (RLIMIT_NPROC counts them all)."""
    count = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            count += int(fields.get("Threads", "1").strip() or 1)
    return count


def _limit(limits: Limits, uid: int | None):  # noqa: ANN202
    """Resource limits, set in the child before bubblewrap starts.

    As root the sandbox has a uid of its own, so the process limit is its own;
    otherwise the limit counts every process of the grader's user, so it is
    set to what that user runs now plus the sandbox's share.
    """
    import resource

    processes = limits.processes if uid is not None else _tasks_of(os.getuid()) + limits.processes

    def apply() -> None:
        mb = 2**20
        pairs = [
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_AS, limits.memory_mb * mb),
            (resource.RLIMIT_FSIZE, limits.file_mb * mb),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_CORE, 0),
        ]
        pairs.append((resource.RLIMIT_NPROC, processes))
        for what, value in pairs:
            resource.setrlimit(what, (value, value))

    return apply


def start(mode: str, filename: str, data: bytes, *, limits: Limits | None = None) -> Session:
    """Start the runner for one submission (``mode`` "bwrap" or "none")."""
    limits = limits or Limits()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/work",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/work/.matplotlib",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    if mode == "bwrap":
        uid = random.randrange(*UID_RANGE) if os.geteuid() == 0 else None
        read_fd, write_fd = os.pipe()
        if len(data) > 60_000:  # more than a pipe holds: bwrap reads it while we write
            os.close(read_fd)
            os.close(write_fd)
            read_fd = os.memfd_create("submission")
            os.write(read_fd, data)
            os.lseek(read_fd, 0, os.SEEK_SET)
            write_fd = None
        else:
            os.write(write_fd, data)
            os.close(write_fd)
        try:
            argv = bwrap_argv(filename, read_fd, limits, uid)
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                pass_fds=(read_fd,),
                preexec_fn=_limit(limits, uid),
                start_new_session=True,
            )
        finally:
            os.close(read_fd)
    elif mode == "none":
        import tempfile

        home = tempfile.mkdtemp(prefix="nnlib-grade-")
        (Path(home) / filename).write_bytes(data)
        env.update(HOME=home, MPLCONFIGDIR=str(Path(home) / ".matplotlib"))
        env["PYTHONPATH"] = str(SANDBOX_DIR)
        proc = subprocess.Popen(
            [sys.executable, "-B", str(SANDBOX_DIR / "runner.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=home,
            start_new_session=True,
        )
        proc.home = home  # type: ignore[attr-defined]
    else:
        raise ValueError(f"unknown sandbox mode {mode!r}")
    return Session(proc)


# ------------------------------------------------------------------ the session


class Session:
    """Requests to one runner, each answered before ``deadline`` (monotonic seconds)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.table = wire.Table("g")
        self.deadline: float = time.monotonic() + 60.0
        self.limit_text = "a cell ran longer than the time limit"
        self.stopped: SandboxStopped | None = None
        self._buffer = b""

    # -- transport -------------------------------------------------------------
    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self._stop("timed out", self.limit_text)
        return left

    def _stop(self, status: str, why: str) -> None:
        self.stopped = SandboxStopped(status, why)
        self.close()
        raise self.stopped

    def _write(self, data: bytes) -> None:
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [fd], [], self._left())
            if not ready:
                continue
            try:
                n = os.write(fd, view[:65536])
            except (BrokenPipeError, OSError):
                self._stop("kernel died", "the notebook's process died")
            view = view[n:]

    def _read(self, n: int) -> bytes:
        fd = self.proc.stdout.fileno()
        while len(self._buffer) < n:
            ready, _, _ = select.select([fd], [], [], self._left())
            if not ready:
                continue
            chunk = os.read(fd, max(65536, n - len(self._buffer)))
            if not chunk:
                self._stop("kernel died", "the notebook's process died")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def request(self, message: dict) -> dict:
        if self.stopped is not None:
            raise self.stopped
        self._write(wire.pack(message))
        try:
            size = wire.unpack_header(self._read(4), limit=MAX_ANSWER)
            reply = wire.loads(self._read(size))
        except wire.WireError as err:
            self._stop("kernel died", f"the notebook's process sent an unreadable answer ({err})")
        if not isinstance(reply, dict):
            self._stop("kernel died", "the notebook's process sent an unreadable answer")
        return reply

    def close(self) -> None:
        """Kill the sandbox (and everything in it) and wait for it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                f.close()
        home = getattr(self.proc, "home", None)
        if home:
            shutil.rmtree(home, ignore_errors=True)

    # -- requests --------------------------------------------------------------
    def run_cell(self, number: int, source: str) -> dict | None:
        """Run a code cell; the learner's error (type, message) or None."""
        reply = self.request({"op": "exec", "cell": number, "source": source})
        if reply.get("ok") is True:
            return None
        err = reply.get("error")
        return err if isinstance(err, dict) else {"type": "?", "message": ""}

    def values(self, names: list[str]) -> dict[str, Any]:
        """The notebook's values of ``names`` (functions as stand-ins); missing ones left out."""
        reply = self.request({"op": "lookup", "names": names})
        found = reply.get("values")
        if not isinstance(found, dict):
            raise ProtocolError("the notebook's process sent an unreadable answer")
        out = {}
        try:
            for name in names:
                if name in found:
                    out[name] = self.decode(found[name])
        except wire.WireError as err:
            raise ProtocolError(
                f"the notebook's process sent an unreadable answer ({err})"
            ) from None
        return out

    def call(self, target: dict, args: tuple, kwargs: dict) -> Any:
        message = {
            "op": "call",
            "fn": target,
            "args": [self.encode(a) for a in args],
            "kwargs": {str(k): self.encode(v) for k, v in kwargs.items()},
        }
        return self._answer(self.request(message), len(args), list(kwargs))

    def iterate(self, wid: str, limit: int = 100_000) -> list:
        reply = self.request({"op": "iter", "of": wid, "limit": limit})
        after, kwafter = reply.get("after"), reply.get("kwafter")
        nargs = len(after) if isinstance(after, list) else 0
        return self._answer(
            reply, min(nargs, 64), list(kwafter)[:64] if isinstance(kwafter, dict) else []
        )

    def _answer(self, reply: dict, nargs: int, keys: list[str]) -> Any:
        try:
            after, kwafter = reply.get("after", []), reply.get("kwafter", {})
            if not isinstance(after, list) or not isinstance(kwafter, dict):
                raise wire.WireError("bad after")
            for state in after[:nargs]:
                self.decode(state)
            for key in keys:
                if key in kwafter:
                    self.decode(kwafter[key])
            notes = reply.get("warnings", [])
            for text in notes[:20] if isinstance(notes, list) else []:
                import warnings

                warnings.warn(str(text)[:300], RuntimeWarning, stacklevel=3)
            if reply.get("ok") is not True:
                raise learner_exception(reply.get("error"))
            result = reply.get("result")
            value = self.decode(result)
            _register_views(result, self.table)
            return value
        except wire.WireError as err:
            raise ProtocolError(
                f"the notebook's process sent an unreadable answer ({err})"
            ) from None

    # -- values ------------------------------------------------------------------
    def encode(self, value: Any) -> Any:
        return wire.encode(value, self.table, self._encode_extra)

    def decode(self, message: Any) -> Any:
        try:
            return wire.decode(message, self.table, self._decode_extra)
        except wire.WireError:
            raise
        except Exception as err:  # whatever odd data does to NumPy: still only bad data
            raise wire.WireError(f"{type(err).__name__}: {str(err)[:100]}") from None

    def _encode_extra(self, v: Any, table: wire.Table, enc: Any) -> dict:
        if isinstance(v, RemoteObject):
            return {"t": "ref", "id": object.__getattribute__(v, "_wid")}
        if isinstance(v, helpers.Helper) and helpers.NAMES.get(type(v).__name__) is type(v):
            state = {k: enc(x) for k, x in v.state().items()}
            return {"t": "helper", "id": table.wid(v), "cls": type(v).__name__, "state": state}
        if callable(v) and helpers.NAMES.get(getattr(v, "__name__", None)) is v:
            return {"t": "fn", "name": v.__name__}
        if isinstance(v, np.ufunc) and getattr(np, v.__name__, None) is v:
            return {"t": "ufunc", "name": v.__name__}
        raise wire.WireError(
            f"a check passed a {type(v).__name__} to learner code; only plain data and "
            "nnlib.grading.sandbox.helpers can cross into the sandbox"
        )

    def _decode_extra(self, m: dict, table: wire.Table, dec: Any) -> Any:
        tag, wid = m.get("t"), m.get("id")
        if tag == "helper":  # the state of one of our helpers after a call
            obj = table.get(wid)
            state = m.get("state")
            if not isinstance(obj, helpers.Helper) or not isinstance(state, dict):
                raise wire.WireError("bad helper state")
            for key in type(obj).synced:
                if key in state:
                    setattr(obj, key, dec(state[key]))
            return obj
        if tag == "ufunc":
            fn = getattr(np, str(m.get("name")), None)
            if not isinstance(fn, np.ufunc):
                raise wire.WireError("bad ufunc")
            return fn
        if tag == "fn":
            fn = helpers.NAMES.get(m.get("name"))
            if fn is None or isinstance(fn, type):
                raise wire.WireError("bad helper function")
            return fn
        if tag == "obj":
            if not isinstance(wid, str) or not wid.startswith("s"):
                raise wire.WireError("bad object id")
            known = table.by_wid.get(wid)
            if isinstance(known, RemoteObject):
                return known
            obj = _remote(self, wid, m)
            table.bind(wid, obj)
            return obj
        if tag == "unsendable":
            raise wire.WireError(str(m.get("why", ""))[:300])
        raise wire.WireError(f"unknown value type {str(tag)[:20]!r}")


def _register_views(message: Any, table: wire.Table) -> None:
    """Arrays of a result that are views of inputs: tell :func:`feedback.shares_memory`."""
    stack, seen = [message], 0
    while stack and seen < 100_000:
        m = stack.pop()
        seen += 1
        if isinstance(m, dict):
            if m.get("t") == "nd" and isinstance(m.get("views"), list):
                arr = table.by_wid.get(m.get("id"))
                bases = [table.by_wid.get(w) for w in m["views"] if isinstance(w, str)]
                bases = [b for b in bases if isinstance(b, np.ndarray)]
                if isinstance(arr, np.ndarray) and bases:
                    note_views(arr, bases)
            stack += [x for x in m.values() if isinstance(x, dict | list)]
        elif isinstance(m, list):
            stack += [x for x in m if isinstance(x, dict | list)]


# ------------------------------------------------------------------ stand-ins


def _identifier(text: Any, default: str) -> str:
    text = str(text)[:80]
    return text if text.isidentifier() else default


def _signature(sig: Any) -> inspect.Signature | None:
    if not isinstance(sig, list):
        return None
    try:
        params = []
        for name, kind, has_default in sig:
            default = None if has_default else inspect.Parameter.empty
            params.append(
                inspect.Parameter(str(name), inspect._ParameterKind(kind), default=default)
            )
        return inspect.Signature(params)
    except (TypeError, ValueError):
        return None


class RemoteObject:
    """The grader's stand-in for an object of the learner's (it lives in the sandbox)."""

    def __init__(self, session: Session, wid: str, info: dict) -> None:
        methods = info.get("methods")
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_wid", wid)
        object.__setattr__(self, "_methods", methods if isinstance(methods, dict) else {})
        object.__setattr__(self, "_iterable", info.get("iterable") is True)
        object.__setattr__(self, "__name__", _identifier(info.get("name"), "function"))
        object.__setattr__(self, "__signature__", _signature(info.get("sig")))

    def __getattr__(self, name: str) -> Any:
        methods = object.__getattribute__(self, "_methods")
        if name not in methods:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return RemoteMethod(
            object.__getattribute__(self, "_session"),
            object.__getattribute__(self, "_wid"),
            name,
            _signature(methods[name]),
        )

    def __iter__(self):  # noqa: ANN204
        if not object.__getattribute__(self, "_iterable"):
            raise TypeError(f"{type(self).__name__!r} object is not iterable")
        session = object.__getattribute__(self, "_session")
        return iter(session.iterate(object.__getattribute__(self, "_wid")))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object>"

    def __copy__(self) -> RemoteObject:  # the object lives in the sandbox: one of it
        return self

    def __deepcopy__(self, memo: dict) -> RemoteObject:
        return self


class RemoteCallable(RemoteObject):
    """A stand-in the check can call: a learner function or class."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        session = object.__getattribute__(self, "_session")
        wid = object.__getattribute__(self, "_wid")
        return session.call({"t": "ref", "id": wid}, args, kwargs)


class RemoteMethod:
    """A method of a learner object in the sandbox (``opt.step``)."""

    def __init__(self, session: Session, wid: str, name: str, sig: Any) -> None:
        self._session, self._wid = session, wid
        self.__name__ = name
        self.__signature__ = sig

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(
            {"t": "attr", "of": self._wid, "name": self.__name__}, args, kwargs
        )


_CLASSES: dict[tuple[str, bool], type] = {}


def _remote(session: Session, wid: str, info: dict) -> RemoteObject:
    """A stand-in whose class carries the learner's type name (for messages)."""
    name = _identifier(info.get("type"), "object")
    callable_ = info.get("callable") is True
    key = (name, callable_)
    if key not in _CLASSES:
        base = RemoteCallable if callable_ else RemoteObject
        _CLASSES[key] = type(name, (base,), {"__module__": "notebook"})
    return _CLASSES[key](session, wid, info)


_ERRORS: dict[tuple[str, str], type] = {}


def learner_exception(info: Any) -> Exception:
    """A stand-in for the exception the learner's code raised in the sandbox.

    A built-in exception comes back as itself; another one as a class of the
    same name derived from its nearest built-in base (``KeyboardInterrupt``
    and ``SystemExit`` too, derived from ``Exception``, so a check reports
    them as the learner's failure).
    """
    if not isinstance(info, dict):
        info = {}
    name = _identifier(info.get("type"), "Exception")
    message = str(info.get("message", ""))[:2000]
    bases = info.get("bases") if isinstance(info.get("bases"), list) else []
    builtin = getattr(builtins, name, None)
    err: Exception | None = None
    if isinstance(builtin, type) and issubclass(builtin, Exception) and name in bases:
        with contextlib.suppress(TypeError):
            err = builtin(message)
    if err is None:
        base = next(
            (
                getattr(builtins, b)
                for b in bases
                if isinstance(getattr(builtins, str(b), None), type)
                and issubclass(getattr(builtins, str(b)), Exception)
                and getattr(builtins, str(b)).__init__ is Exception.__init__
            ),
            Exception,
        )
        key = (name, base.__name__)
        if key not in _ERRORS:
            _ERRORS[key] = type(name, (base,), {"__module__": "notebook"})
        err = _ERRORS[key](message)
    frames = []
    for item in info.get("frames", []) if isinstance(info.get("frames"), list) else []:
        with contextlib.suppress(TypeError, ValueError):
            filename, lineno, fname, line = item
            frames.append(
                traceback.FrameSummary(
                    str(filename)[:100], int(lineno), str(fname)[:100], line=str(line)[:300]
                )  # fmt: skip
            )
    err.remote_frames = frames  # type: ignore[attr-defined]
    return err
