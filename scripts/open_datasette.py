"""Browse a codedpo database in Datasette with the canned queries of examples/datasette.json.

Usage: python3 scripts/open_datasette.py DB [--port N]                 serve it (Ctrl-C stops)
       python3 scripts/open_datasette.py DB --query NAME [key=value ...]
           start Datasette on 127.0.0.1 on a free port, fetch canned query NAME as JSON
           (one object a row), print it, stop Datasette.

Datasette names a database after its file (codedpo.db -> "codedpo"); the metadata file
lists the queries under "codedpo", so this script re-keys them to DB's name in a temporary
copy. Needs `python3 -m pip install datasette`.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METADATA = os.path.join(ROOT, "examples", "datasette.json")


def metadata_for(db):
    """examples/datasette.json with its queries under DB's database name; a temporary file."""
    metadata = json.load(open(METADATA))
    name = os.path.splitext(os.path.basename(db))[0]
    metadata["databases"] = {name: metadata["databases"]["codedpo"]}
    handle, path = tempfile.mkstemp(suffix=".json", prefix="codedpo-datasette-")
    with os.fdopen(handle, "w") as out:
        json.dump(metadata, out)
    return name, path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(db, metadata, port):
    # Not --immutable: that mode ignores the write-ahead log, so a database a running codedpo
    # command writes to would look stale. Datasette reads only; `codedpo query` and Datasette
    # can read while a stage writes.
    return [sys.executable, "-m", "datasette", "serve", db, "--metadata", metadata,
            "--host", "127.0.0.1", "--port", str(port)]


def fetch(url, deadline):
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            sys.exit(f"datasette answered {error.code} for {url}: {error.read().decode()[:500]}")
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def query(db, name, arguments):
    database, metadata = metadata_for(db)
    port = free_port()
    server = subprocess.Popen(command(db, metadata, port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        parameters = dict(argument.split("=", 1) for argument in arguments)
        parameters["_shape"] = "array"
        url = f"http://127.0.0.1:{port}/{database}/{name}.json?" + urllib.parse.urlencode(parameters)
        try:
            rows = fetch(url, time.time() + 60)
        except OSError as error:
            server.kill()
            sys.exit(f"datasette did not answer on port {port}: {error}\n{server.stderr.read().decode()[-2000:]}")
        print(json.dumps(rows, indent=2))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        os.unlink(metadata)


def main(arguments):
    if not arguments or arguments[0].startswith("-"):
        sys.exit(__doc__)
    try:
        import datasette  # noqa: F401
    except ImportError:
        sys.exit("datasette is not installed: python3 -m pip install datasette")
    db = arguments[0]
    if not os.path.exists(db):
        sys.exit(f"no database at {db}")
    if len(arguments) > 2 and arguments[1] == "--query":
        query(db, arguments[2], arguments[3:])
        return
    port = int(arguments[2]) if len(arguments) > 2 and arguments[1] == "--port" else 8001
    _, metadata = metadata_for(db)
    print(f"http://127.0.0.1:{port}/ (Ctrl-C stops)", file=sys.stderr)
    try:
        subprocess.call(command(db, metadata, port))
    except KeyboardInterrupt:
        pass
    finally:
        os.unlink(metadata)


main(sys.argv[1:])
