"""Unit tests of the guard (Harness/harness_guard.py), imported directly.

Installing the guard disarms the process it runs in, so each check runs in a
fresh interpreter that imports harness_guard, installs it and reports what
untrusted code would see, as one JSON line.

Run from the package root:  python3 -m unittest discover -s Tests/harness
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness_source  # noqa: E402

sys.path.insert(0, harness_source.HARNESS_DIR)
import harness_guard as guard  # noqa: E402

PRELUDE = """
import json, os, sys
sys.path.insert(0, %r)
import harness_guard as guard
report = {}
def refused(name, call):
    try:
        call()
    except PermissionError as exc:
        report[name] = "refused: " + str(exc)
    except BaseException as exc:
        report[name] = "%%s: %%s" %% (type(exc).__name__, exc)
    else:
        report[name] = "allowed"
""" % harness_source.HARNESS_DIR


def guarded(body):
    """Run `body` after installing the guard in a fresh interpreter; its `report`."""
    script = PRELUDE + "guard._install_guard()\n" + body + "\nprint(json.dumps(report))\n"
    done = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError("guarded script failed: " + done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


class GuardPlanTests(unittest.TestCase):
    def test_plan_covers_destructive_calls_without_installing_anything(self):
        planned = {(getattr(target, "__name__", "?"), name) for target, name, _ in guard._GUARD_PLAN}
        for entry in [("os", "kill"), ("os", "system"), ("os", "fork"), ("os", "remove"),
                      ("os", "execv"), ("signal", "setitimer"), ("signal", "signal"),
                      ("builtins", "exit")]:
            self.assertIn(entry, planned)
        # Planning is not installing: this process is untouched.
        self.assertNotIn("codedpo", repr(os.kill))

    def test_disabled_function_names_itself(self):
        with self.assertRaises(PermissionError) as caught:
            guard._disabled("os.kill")(1, 9)
        self.assertIn("os.kill is disabled by the codedpo harness", str(caught.exception))


class InstalledGuardTests(unittest.TestCase):
    def test_destructive_calls_are_refused(self):
        report = guarded("""
refused("kill", lambda: os.kill(os.getpid(), 0))
refused("system", lambda: os.system("true"))
refused("fork", lambda: os.fork())
refused("remove", lambda: os.remove("/nonexistent"))
refused("chdir", lambda: os.chdir("/"))
import signal
refused("alarm", lambda: signal.alarm(1))
refused("setitimer", lambda: signal.setitimer(signal.ITIMER_REAL, 1))
refused("sigalrm", lambda: signal.signal(signal.SIGALRM, lambda *a: None))
refused("sigusr1", lambda: signal.signal(signal.SIGUSR1, lambda *a: None))
""")
        for name in ("kill", "system", "fork", "remove", "chdir", "alarm", "setitimer", "sigalrm"):
            self.assertTrue(report[name].startswith("refused:"), (name, report[name]))
        self.assertEqual(report["sigusr1"], "allowed")

    def test_harness_keeps_its_private_references(self):
        report = guarded("""
refused("private kill", lambda: guard._kill(os.getpid(), 0))
refused("public kill", lambda: os.kill(os.getpid(), 0))
""")
        self.assertEqual(report["private kill"], "allowed")
        self.assertTrue(report["public kill"].startswith("refused:"))

    def test_modules_imported_later_are_disarmed_on_import(self):
        report = guarded("""
import subprocess, shutil
refused("popen", lambda: subprocess.Popen(["true"]))
refused("run", lambda: subprocess.run(["true"]))
refused("rmtree", lambda: shutil.rmtree("/nonexistent"))
report["popen is a class"] = isinstance(subprocess.Popen, type) and issubclass(subprocess.Popen, object)
""")
        for name in ("popen", "run", "rmtree"):
            self.assertTrue(report[name].startswith("refused:"), (name, report[name]))
        self.assertTrue(report["popen is a class"])

    def test_sockets_refuse_but_stay_classes(self):
        report = guarded("""
import socket
refused("socket", lambda: socket.socket())
refused("connect", lambda: socket.create_connection(("127.0.0.1", 9)))
report["subclass"] = issubclass(socket.socket, object)
""")
        self.assertTrue(report["socket"].startswith("refused:"))
        self.assertTrue(report["connect"].startswith("refused:"))

    def test_setrlimit_works_and_is_tracked(self):
        report = guarded("""
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
refused("setrlimit", lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
report["tracked"] = guard._RLIMITS_TOUCHED[0]
""")
        self.assertEqual(report["setrlimit"], "allowed")
        self.assertTrue(report["tracked"])

    def test_exit_builtins_raise_system_exit(self):
        report = guarded("""
import builtins
refused("exit", lambda: builtins.exit(3))
refused("quit", lambda: builtins.quit())
""")
        self.assertEqual(report["exit"], "SystemExit: 3")
        self.assertTrue(report["quit"].startswith("SystemExit"))

    def test_tempfile_uses_the_job_directory(self):
        job_dir = tempfile.mkdtemp(prefix="codedpo-guard-test-")
        try:
            report = guarded("""
guard._JOB_DIR = %r
import tempfile
report["tempdir"] = tempfile.gettempdir()
""" % job_dir)
            self.assertEqual(report["tempdir"], job_dir)
        finally:
            os.rmdir(job_dir)


if __name__ == "__main__":
    unittest.main()
