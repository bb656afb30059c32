"""The batch grader's agent inside a submission's kernel (see :mod:`nnlib.grading.grader`).

Never imported: the grader runs this file's text, with a configuration, in a
private namespace, as the first cell of every submission, before any cell of
the submission. ``install(config)`` writes a fresh random HMAC key to a file
the grader reads and deletes before it sends the next cell (so the key is in
no cell source, output or history), preloads NumPy, nnlib's core and the
checks' dependencies, snapshots builtins, ``sys``'s functions, the signal
handlers and every module and class loaded so far (not the kernel's own
machinery), and installs two audit hooks, which Python cannot remove:

- the *guard* refuses further audit hooks, trace and profile functions,
  ``gc``'s object walks, other threads' frames, changing the code or
  defaults of library functions, and any frame access in the main thread
  while a check runs;
- the *runner* holds the key. On ``sys.audit("nnlib.grader.check", grade_id,
  nonce)`` it undoes the notebook's changes to the snapshot, refuses
  ("tampering") if IPython input/AST transformers or a trace function were
  installed, imports the check's modules fresh from the grader's sources
  (with every later module hidden and no notebook folder on ``sys.path``),
  runs the canonical check code in a new thread (where ``signal.signal`` is
  impossible and whose frames lead nowhere near the runner's), accepts that
  thread's outcome only through ``sys.audit("nnlib.grader.done", ...)`` called
  from the thread's bottom frame running its own code object, refuses if the
  snapshot or the fresh modules changed meanwhile, and appends
  ``{"record": <json>, "mac": HMAC-SHA256(key, <json>)}`` to the results file.

The runner never raises (its frames stay out of tracebacks) and keeps its
state in closures nothing reachable refers to; the functions learner code can
reach (the finder, the check thread) are rebuilt per check with throw-away
globals and get only what they need.
"""

# ruff: noqa: B023  (closures over loop-free, per-call values on purpose)

CHECK_EVENT = "nnlib.grader.check"
DONE_EVENT = "nnlib.grader.done"


def _make_guard(running, always, frame_attrs, protected, prefixes, error, isinstance_, function):
    """The first audit hook: no globals, every name a closure value."""

    def guard(event, args):
        if event in always:
            raise error(f"{event} is not allowed in a graded notebook")
        if event == "sys._getframe":
            if running._is_owned():
                raise error("frame access is not allowed while a check runs")
        elif event == "object.__getattr__":
            if args[1] in frame_attrs and running._is_owned():
                raise error("frame access is not allowed while a check runs")
        elif event == "object.__setattr__":
            obj, name = args[0], args[1]
            if isinstance_(obj, function) and name in (
                "__code__",
                "__defaults__",
                "__kwdefaults__",
            ):
                mod = obj.__module__
                if isinstance_(mod, str) and (mod in protected or mod.startswith(prefixes)):
                    raise error(f"changing {name} of {mod}.{obj.__name__} is not allowed")

    return guard


def _make_finder(sources, spec_class, namespace, compile_, exec_, dirname):
    """An import finder serving ``sources`` {name: (filename, text, is_package)}."""

    def find_spec(name, path=None, target=None):
        entry = sources.get(name)
        if entry is None:
            return None
        spec = spec_class(name, loader, origin=entry[0], is_package=entry[2])
        if entry[2]:
            spec.submodule_search_locations = [dirname(entry[0])]
        spec.has_location = True
        return spec

    def create_module(spec):
        return None

    def exec_module(module):
        filename, text, _ = sources[module.__name__]
        exec_(compile_(text, filename, "exec", dont_inherit=True), module.__dict__)

    loader = namespace(create_module=create_module, exec_module=exec_module)
    return namespace(find_spec=find_spec)


def _make_worker(nonce, exec_, audit, failed_class, str_, type_, isinstance_, base, name_error):
    """The check thread's bottom function: runs the check, reports one outcome."""

    def line(err):
        text = str_(err).strip()
        return text.split("\n")[0][:300] if text else ""

    def describe(err):
        try:
            if failed_class is not None and isinstance_(err, failed_class):
                kind, message = err.kind, err.message
                kind = str_.__str__(kind) if isinstance_(kind, str_) else "wrong"
                message = str_.__str__(message) if isinstance_(message, str_) else line(err)
                return "failed", kind, message
            name = type_(err).__name__
            if isinstance_(err, name_error):
                why = "did you delete or rename the cell that defines it, or not run it?"
                return "failed", "missing", f"the check could not run: {line(err)} ({why})"
            if isinstance_(err, AssertionError):
                return "failed", "hidden_test", "a hidden test of this exercise failed"
            if not isinstance_(err, Exception):
                return "failed", "exception", f"your code raised {name} while the check ran"
            return "failed", "exception", f"the check stopped with {name}: {line(err)}"
        except base:
            return "failed", "exception", "the check failed"

    def worker(body, ns):
        try:
            exec_(body, ns)
        except base as err:
            try:
                status, kind, message = describe(err)
            except base:
                status, kind, message = "failed", "exception", "the check failed"
            err = None
        else:
            status, kind, message = "passed", "", ""
        try:
            ns.clear()
        except base:
            pass
        audit(DONE_EVENT, nonce, status, kind, message)

    return worker


def install(config):  # the runner's state lives in this closure on purpose
    import _hashlib
    import _thread
    import builtins
    import gc
    import importlib.machinery
    import json
    import os
    import signal
    import sys
    import time
    import types

    key = os.urandom(32)
    fd = os.open(config["key_file"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, key.hex().encode())
    os.close(fd)

    # -- tools bound now, never looked up again ----------------------------------
    audit, getframe, get_ident = sys.audit, sys._getframe, _thread.get_ident
    start_thread, done_lock = _thread.start_new_thread, _thread.allocate_lock()
    running = _thread.RLock()  # held by the main thread while a check runs
    monotonic, hmac_digest, dumps = time.monotonic, _hashlib.hmac_digest, json.dumps
    os_open, os_write, os_close, dirname = os.open, os.write, os.close, os.path.dirname
    append_flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    FunctionType, MethodType, ModuleType = types.FunctionType, types.MethodType, types.ModuleType
    Namespace, ModuleSpec = types.SimpleNamespace, importlib.machinery.ModuleSpec
    setattr_, delattr_ = type.__setattr__, type.__delattr__
    class_dict = type.__dict__["__dict__"].__get__  # no metaclass __getattribute__ on the way
    module_dict = ModuleType.__dict__["__dict__"].__get__
    gettrace, getprofile = sys.gettrace, sys.getprofile
    getsignal, set_signal = signal.getsignal, signal.signal
    modules, real_builtins = sys.modules, builtins.__dict__
    private_builtins = dict(real_builtins)
    main_ident = get_ident()
    MISSING = object()
    DATA = (type(None), bool, int, float, complex, str, bytes, bytearray, list, dict, set)
    DATA += (frozenset, tuple)
    results_file, checks = config["results_file"], config["checks"]
    sources = {name: tuple(v) for name, v in config["sources"].items()}
    machinery, fresh_prefixes = frozenset(config["machinery"]), tuple(config["fresh"])
    cwd = os.getcwd()
    trusted_path = [p for p in sys.path if p and os.path.abspath(p) != cwd]
    base_meta_path, base_hooks = list(sys.meta_path), list(sys.path_hooks)
    shell = real_builtins.get("get_ipython", lambda: None)()
    user_ns = shell.user_ns if shell is not None else modules["__main__"].__dict__

    def rebuilt(fn):
        """``fn`` with throw-away globals, so nothing it reaches leads back here."""
        glb = {"__builtins__": dict(private_builtins), "DONE_EVENT": DONE_EVENT}
        return FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__, fn.__closure__)

    def clean_import(action):
        """Run ``action()`` with the grader's sources first and no notebook folder on the path."""
        finder = rebuilt(_make_finder)(sources, ModuleSpec, Namespace, compile, exec, dirname)
        saved = sys.path, sys.meta_path, sys.path_hooks, sys.path_importer_cache
        sys.path, sys.path_hooks = list(trusted_path), list(base_hooks)
        sys.meta_path, sys.path_importer_cache = [finder, *base_meta_path], {}
        try:
            action()
        finally:
            sys.path, sys.meta_path, sys.path_hooks, sys.path_importer_cache = saved

    def drop_new(keep):
        """Remove modules not in ``keep`` from sys.modules and from their parent packages."""
        for name in [n for n in modules if n not in keep]:
            del modules[name]
            parent, _, child = name.rpartition(".")
            if parent in keep:
                module_dict(keep[parent]).pop(child, None)

    # -- preload (every dependency of the checks is loaded now), then snapshot ---
    def preload():
        for name in config["preload"]:
            __import__(name)

    clean_import(preload)
    prologue = {n: m for n, m in modules.items() if not n.startswith(fresh_prefixes)}
    drop_new(prologue)

    def bearing(mapping):
        """The entries that hold code (functions, classes, modules, objects), not plain data."""
        return {k: v for k, v in mapping.items() if type(v) not in DATA}

    def take_snapshot(mods):
        entries, classes = [], []
        for name, mod in mods.items():
            if type(mod) is not ModuleType or name.partition(".")[0] in machinery:
                continue
            entries.append((name, mod, bearing(module_dict(mod))))
            for v in list(module_dict(mod).values()):
                if isinstance(v, type) and v.__flags__ & (1 << 9) and v.__module__ == name:
                    where, attrs = f"{name}.{v.__qualname__}", class_dict(v)
                    classes.append((v, where, bearing(attrs), frozenset(attrs)))
        return entries, classes

    def same(a, b):
        if a is b:
            return True
        return (
            type(a) is MethodType
            and type(b) is MethodType
            and a.__func__ is b.__func__
            and a.__self__ is b.__self__
        )

    def compare(snap, fix):
        """Names whose value differs from ``snap``; put the old values back when ``fix``."""
        entries, classes = snap
        changed = []
        for name, mod, saved in entries:
            if fix and modules.get(name, mod) is not mod:
                changed.append(f"sys.modules[{name!r}]")
                modules[name] = mod
            current = module_dict(mod)
            for k, v in saved.items():
                if not same(current.get(k, MISSING), v):
                    changed.append(f"{name}.{k}")
                    if fix:
                        current[k] = v
        for cls, where, saved, known in classes:
            current = class_dict(cls)
            for k, v in saved.items():
                if not same(current.get(k, MISSING), v):
                    changed.append(f"{where}.{k}")
                    if fix:
                        setattr_(cls, k, v)
            for k in [k for k, v in current.items() if k not in known and type(v) not in DATA]:
                changed.append(f"{where}.{k}")
                if fix:
                    delattr_(cls, k)
        return changed

    protected = take_snapshot(prologue)
    sys_functions = {k: v for k, v in vars(sys).items() if callable(v) and type(v) is not type}
    protected[0].append(("builtins", builtins, bearing(real_builtins)))
    protected[0].append(("sys", sys, sys_functions))
    signals = [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]
    saved_signals = {s: getsignal(s) for s in signals}
    transformers = []
    for attr in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
        lst = getattr(shell, attr, None)
        if type(lst) is list:
            transformers.append((attr, lst, list(lst)))

    guard = rebuilt(_make_guard)(
        running,
        frozenset(
            (
                "sys.addaudithook",
                "sys.settrace",
                "sys.setprofile",
                "gc.get_objects",
                "gc.get_referrers",
                "gc.get_referents",
                "sys._current_frames",
                "sys._current_exceptions",
            )
        ),
        frozenset(("tb_frame", "gi_frame", "cr_frame", "ag_frame")),
        frozenset(n for n in prologue if n.partition(".")[0] not in machinery),
        ("nnlib", *fresh_prefixes),
        RuntimeError,
        isinstance,
        FunctionType,
    )

    # -- the runner ----------------------------------------------------------------
    state = {"worker_code": None, "worker_ident": None, "outcome": None, "forged": False}

    def shown(names):
        return ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")

    def write_record(record):
        compare(protected, fix=True)  # json and friends are as they were at the start
        text = dumps(record, sort_keys=True, ensure_ascii=True)
        mac = hmac_digest(key, text.encode(), "sha256").hex()
        out = os_open(results_file, append_flags, 0o600)
        try:
            os_write(out, (dumps({"mac": mac, "record": text}) + "\n").encode())
        finally:
            os_close(out)

    def tampered():
        reasons = []
        if gettrace() is not None or getprofile() is not None:
            reasons.append("a trace or profile function is installed")
        for attr, lst, saved in transformers:
            if len(lst) != len(saved) or any(a is not b for a, b in zip(lst, saved, strict=False)):
                reasons.append(f"the notebook changed IPython's {attr}")
        if sys.modules is not modules:
            sys.modules = modules
            reasons.append("the notebook replaced sys.modules")
        if type(user_ns) is not dict:
            reasons.append("the notebook's namespace is not a dict")
        return reasons

    def run_check(grade_id, nonce, notes):
        """Everything but writing the record; the main thread holds ``running``."""
        spec = checks.get(grade_id)
        if spec is None:
            return ("error", "grader", f"no canonical check {grade_id!r}")
        changed = compare(protected, fix=True)
        reasons = tampered()
        if reasons:
            return ("tampering", "tampering", "; ".join(reasons))
        if changed:
            notes.append(f"the grader undid changes the notebook made to {shown(changed)}")
        for s, handler in saved_signals.items():
            try:
                if getsignal(s) is not handler:
                    set_signal(s, handler)
            except (OSError, ValueError, TypeError):
                pass
        ns = dict(user_ns)
        ns["__builtins__"] = real_builtins
        hidden = {n: m for n, m in modules.items() if n not in prologue}
        attrs = {}
        for name in hidden:
            parent, _, child = name.rpartition(".")
            if parent in prologue:
                attrs[(parent, child)] = module_dict(prologue[parent]).get(child, MISSING)
        for name in hidden:
            del modules[name]

        def import_check():
            for alias, modname in spec["aliases"].items():
                __import__(modname)
                ns[alias] = modules[modname]
            exec(compile(spec["imports"], spec["filename"], "exec", dont_inherit=True), ns)

        try:
            running.release()  # imports may look at frames (typing, namedtuple)
            try:
                clean_import(import_check)
                body = compile(spec["body"], spec["filename"], "exec", dont_inherit=True)
            finally:
                running.acquire()
            fresh = {n: m for n, m in modules.items() if n not in prologue}
            fresh_snapshot = take_snapshot(fresh)
            feedback = fresh.get("nnlib.grading.feedback")
            failed = module_dict(feedback).get("ExerciseFailed") if feedback else None
        except Exception as err:
            return ("error", "grader", f"could not import the check: {type(err).__name__}: {err}")
        finally:
            drop_new(prologue)
            modules.update(hidden)
            for (parent, child), value in attrs.items():
                if value is not MISSING:
                    module_dict(prologue[parent])[child] = value

        worker = rebuilt(_make_worker)(
            nonce, exec, audit, failed, str, type, isinstance, BaseException, NameError
        )
        state.update(worker_code=worker.__code__, outcome=None, forged=False)
        done_lock.acquire()
        state["worker_ident"] = start_thread(worker, (body, ns))
        del worker
        done_lock.acquire()  # released by on_done; a check that hangs is killed by the grader
        done_lock.release()
        outcome = state["outcome"]
        state.update(worker_code=None, worker_ident=None, outcome=None)
        changed = compare(protected, fix=True) + compare(fresh_snapshot, fix=False)
        if changed:
            return (
                "tampering",
                "tampering",
                f"the notebook changed {shown(changed)} during the check",
            )
        if state["forged"]:
            return ("tampering", "tampering", "the notebook tried to report a result itself")
        if gc.isenabled():
            return ("tampering", "tampering", "the notebook turned the garbage collector back on")
        return outcome

    def on_done(args):
        frame = getframe(2)  # 0: on_done, 1: runner, 2: whoever called sys.audit
        genuine = (
            frame.f_code is state["worker_code"]
            and frame.f_back is None
            and get_ident() == state["worker_ident"]
            and len(args) == 4
            and all(type(a) is str for a in args)
        )
        if not genuine:
            state["forged"] = True
        elif state["outcome"] is None:
            state["outcome"] = args[1:]
            done_lock.release()

    def runner(event, args):
        if event == DONE_EVENT:
            try:
                on_done(args)
            except BaseException:
                state["forged"] = True
            return
        if event != CHECK_EVENT or get_ident() != main_ident or len(args) != 2:
            return
        if not all(type(a) is str for a in args) or not running.acquire(False):
            return
        started, notes = monotonic(), []
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            try:
                outcome = run_check(args[0], args[1], notes)
            except BaseException as err:  # never raise: this frame must stay out of tracebacks
                outcome = ("error", "grader", f"grader error: {type(err).__name__}: {err}")
            record = {"grade_id": args[0], "nonce": args[1], "notes": notes}
            record.update(status=outcome[0], kind=outcome[1], message=outcome[2][:4000])
            record["seconds"] = round(monotonic() - started, 3)
            write_record(record)
        except BaseException:
            pass
        finally:
            if was_enabled:
                gc.enable()
            running.release()

    sys.addaudithook(runner)
    sys.addaudithook(guard)  # last: from now on, adding a hook fails (silently, as Python does)
