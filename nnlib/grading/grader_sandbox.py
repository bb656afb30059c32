"""One submission's sandbox: what it contains, its limits, and starting it.

:func:`start` launches :mod:`nnlib.grading.sandbox.runner` (standard library
and NumPy only) in a bubblewrap sandbox (``mode="bwrap"``) or as a plain
child process (``mode="none"``) and returns a
:class:`~nnlib.grading.grader_session.Session` that talks to it over pipes.
The grader's process never runs the learner's code.

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

import importlib.util
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .grader_session import Session

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
#: Sandboxes run as a uid from this range when the grader is root (one per sandbox).
UID_RANGE = (1_000_000, 2_000_000)


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
