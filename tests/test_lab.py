"""`make lab` serves the notebooks (as root too); every notebook documents its profiles."""

import ast
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from rnnpaper import paths, profiles

ROOT = paths.ROOT
NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str, method: str = "GET", body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else {}


def wait_for(url: str, token: str, proc: subprocess.Popen, log: Path, limit: float = 120) -> dict:
    """Poll the server until it answers; fail at once if it exits, or after `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`make lab` exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            return get(url, token)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {limit} s:\n{log.read_text()[-3000:]}")


def execute(url: str, token: str, code: str, limit: float = 60) -> str:
    """Run `code` in a kernel through the server's websocket; return what it printed."""
    import websocket  # websocket-client, a dependency of jupyter_server

    ws = websocket.create_connection(
        url.replace("http", "ws", 1), header=[f"Authorization: token {token}"], timeout=limit
    )
    msg_id = uuid.uuid4().hex
    header = {
        "msg_id": msg_id,
        "msg_type": "execute_request",
        "username": "test",
        "session": uuid.uuid4().hex,
        "version": "5.3",
    }
    content = {"code": code, "silent": False, "store_history": False}
    ws.send(
        json.dumps(
            {
                "header": header,
                "parent_header": {},
                "metadata": {},
                "content": content,
                "channel": "shell",
            }
        )
    )
    printed, deadline = [], time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                pytest.fail(
                    f"the kernel raised {msg['content']['ename']}: {msg['content']['evalue']}"
                )
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(printed)
    finally:
        ws.close()
    pytest.fail(f"the kernel did not finish {code!r} within {limit} s")


@pytest.fixture
def lab(tmp_path):
    """`make lab` on a free port with a token, stopped (and its process group killed) after."""
    port, token = free_port(), secrets.token_hex(16)
    args = f"--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = tmp_path / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            # -o: never reinstall the venv here, even when the lock file is newer
            ["make", "--no-print-directory", "-o", ".venv/.installed", "lab", f"LAB_ARGS={args}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        yield base, token, proc, log
        get(f"{base}/api/shutdown", token, method="POST")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@needs_make
def test_make_lab_serves_the_notebooks_and_runs_them_in_the_project_venv(lab):
    base, token, proc, log = lab
    listing = wait_for(f"{base}/api/contents/?content=1", token, proc, log)
    served = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
    assert served == [nb.name for nb in NOTEBOOKS]
    one = get(f"{base}/api/contents/{NOTEBOOKS[0].name}?content=0", token)
    assert one["type"] == "notebook" and one["writable"]
    specs = get(f"{base}/api/kernelspecs", token)
    argv = specs["kernelspecs"][specs["default"]]["spec"]["argv"]
    # "python" is the server's own interpreter (jupyter_client swaps in sys.executable): the venv's
    assert argv[0] == "python" or Path(argv[0]).parent == ROOT / ".venv" / "bin", argv
    kernel = get(f"{base}/api/kernels", token, method="POST", body={"name": specs["default"]})
    code = "import sys, rnnpaper; print(sys.prefix, rnnpaper.__file__)"
    printed = execute(f"{base}/api/kernels/{kernel['id']}/channels", token, code)
    assert printed.split() == [str(ROOT / ".venv"), str(ROOT / "rnnpaper" / "__init__.py")]
    get(f"{base}/api/kernels/{kernel['id']}", token, method="DELETE")


@needs_make
@pytest.mark.parametrize("uid, allow", [("0", True), ("1000", False)])
def test_make_lab_allows_root_only_when_root(tmp_path, uid, allow):
    fake = tmp_path / "id"
    fake.write_text(f'#!/bin/sh\n[ "$1" = -u ] && echo {uid} || exec /usr/bin/id "$@"\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    out = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "lab"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    line = next(ln for ln in out.stdout.splitlines() if "jupyter lab" in ln)
    assert line.startswith(".venv/bin/jupyter lab") and "--notebook-dir=notebooks" in line
    assert ("--allow-root" in line) is allow


def parameters_cell(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{nb_path.name}: {len(cells)} cells tagged 'parameters', want 1"
    return cells[0].source


def profile_default(source: str) -> str | None:
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
            "profile"
        ]:
            return getattr(node.value, "value", None)
    return None


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_parameters_cell_documents_every_profile(nb_path):
    """Expected: one comment line per profile, the name first, then what it means, e.g.

    # Profiles:
    #   "smoke": tiny sizes for CI and a first read, about a minute; writes build/smoke/
    #   "paper": the reference run of `make paper`; writes results/, figures/, paper/generated/
    profile = "smoke"
    """
    source = parameters_cell(nb_path)
    assert profile_default(source) == profiles.DEFAULT, (
        f'{nb_path.name}: the parameters cell must set profile = "{profiles.DEFAULT}" '
        "so that the notebook runs top to bottom at the cheap profile with no edit"
    )
    for name in profiles.NAMES:
        line = rf'^\s*#\s*"?{name}"?\s*(:|=|-|—)\s*\S.{{9,}}$'
        assert re.search(line, source, re.MULTILINE), (
            f'{nb_path.name}: no comment line documenting profile "{name}" in the parameters '
            f'cell; expected e.g.  #   "{name}": what it runs and where it writes'
        )
