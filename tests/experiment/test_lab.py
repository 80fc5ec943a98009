"""Exploring in JupyterLab works from the environment: a real JupyterLab server from this Python
(``.venv`` under ``make``) on 127.0.0.1 with a token, the ``hybridlib`` kernel listed, every paired
``.py`` notebook opened as a notebook through the contents API (jupytext), ``08_explore`` executed
cell by cell in a kernel session, and, where Chromium is installed, a screenshot of the lab.

Every wait is bounded; the server is shut down (API, then SIGTERM, then SIGKILL) by the fixture.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import jupytext
import pytest

REPO = Path(__file__).resolve().parents[2]  # the repository root
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.py"))
KERNEL = "hybridlib"
START_TIMEOUT = 90
CELL_TIMEOUT = 300

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, url: str, token: str, proc: subprocess.Popen, log: Path):
        self.url, self.token, self.proc, self.log = url, token, proc, log

    def request(self, path: str, method: str = "GET", body: dict | None = None, timeout: float = 30):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            kind = resp.headers.get("Content-Type", "")
        return json.loads(raw) if raw and "json" in kind else raw.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab from this environment on a free 127.0.0.1 port, rooted at the repository."""
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed: run `make setup`")
    tmp = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    log = tmp / "lab.log"
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={REPO}",
        "--LabApp.news_url=", "--LabServerApp.extension_manager=readonly",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        cmd.append("--allow-root")
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO)
    server = Lab(f"http://127.0.0.1:{port}", token, proc, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                server.request("/api/status", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield server
    finally:
        try:
            server.request("/api/shutdown", method="POST", timeout=10)  # stops kernels too
        except Exception:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def test_lab_serves_the_hybridlib_kernel_and_the_jupytext_extension(lab):
    specs = lab.request("/api/kernelspecs")
    assert KERNEL in specs["kernelspecs"], f"kernel {KERNEL!r} not registered: run `make setup`"
    page = lab.request("/lab")
    assert "jupyterlab-jupytext" in page, "jupytext's JupyterLab extension is not installed"
    assert "@jupyter-widgets/jupyterlab-manager" in page, "ipywidgets' JupyterLab extension is missing"


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_paired_py_file_opens_as_a_notebook(lab, py):
    model = lab.request(f"/api/contents/notebooks/{py.name}?type=notebook&content=1")
    assert model["type"] == "notebook" and model["format"] == "json"
    nb = model["content"]
    assert nb["metadata"]["kernelspec"]["name"] == KERNEL
    assert [c["source"] for c in nb["cells"]] == [c.source for c in jupytext.read(py).cells]
    formats = nb["metadata"].get("jupytext", {}).get("formats", "")
    assert "ipynb" in formats and "py:percent" in formats, "not paired with its .ipynb"


def _execute(ws, code: str, timeout: float = CELL_TIMEOUT) -> list[dict]:
    """Run ``code`` in the kernel behind websocket ``ws``; its iopub outputs (error → test failure)."""
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                           "session": uuid.uuid4().hex, "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": False,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
            }
        )
    )  # fmt: skip
    outputs, idle, reply = [], False, None
    deadline = time.monotonic() + timeout
    while not (idle and reply):
        ws.settimeout(max(1.0, deadline - time.monotonic()))
        if time.monotonic() > deadline:
            pytest.fail(f"cell did not finish in {timeout} s:\n{code[:500]}")
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "execute_reply":
            reply = msg["content"]
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
        elif kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append(msg)
    if reply["status"] != "ok":
        pytest.fail(f"cell failed: {reply.get('ename')}: {reply.get('evalue')}\n{code[:500]}")
    return outputs


def test_explore_notebook_runs_in_a_kernel_session(lab, tiny_run_dir):
    websocket = pytest.importorskip("websocket", reason="websocket-client (a JupyterLab dependency) missing")
    session = lab.request(
        "/api/sessions",
        method="POST",
        body={"path": "notebooks/08_explore.py", "type": "notebook", "name": "08_explore.py",
              "kernel": {"name": KERNEL}},
    )  # fmt: skip
    kernel = session["kernel"]["id"]
    assert session["kernel"]["name"] == KERNEL
    ws = websocket.create_connection(
        f"{lab.url.replace('http', 'ws')}/api/kernels/{kernel}/channels?token={lab.token}", timeout=30
    )
    try:
        outputs = []
        for cell in jupytext.read(REPO / "notebooks" / "08_explore.py").cells:
            if cell.cell_type != "code":
                continue
            outputs += _execute(ws, cell.source)
            if "parameters" in cell.metadata.get("tags", []):  # as papermill injects them
                outputs += _execute(ws, f"run_dir = {str(tiny_run_dir)!r}\nk = 5\ndrill_x_q = 'de'")
    finally:
        ws.close()
        lab.request(f"/api/sessions/{session['id']}", method="DELETE")
    text = json.dumps([o["content"] for o in outputs])
    assert "arms with results: zero-shot, hybrid" in text
    plain = [str(o["content"].get("data", {}).get("text/plain", "")) for o in outputs]
    panels = [p for p in plain if p.startswith("VBox(")]
    assert len(panels) == 2, "the search and drill-down panels were not displayed"
    assert "text/html" in text and "image/png" in text  # hit tables and the language-mix figure


def _chromium() -> str | None:
    return next(
        (p for name in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(name))), None
    )


def test_headless_browser_screenshot_of_the_lab_is_not_blank(lab, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium): no lab screenshot taken")
    from PIL import Image, ImageStat

    shot = tmp_path / "lab.png"
    url = f"{lab.url}/lab/tree/notebooks/08_explore.ipynb?token={lab.token}"
    cmd = [
        browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000",
        "--virtual-time-budget=30000", f"--screenshot={shot}", url,
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert shot.is_file() and shot.stat().st_size > 0, "Chromium wrote no screenshot"
    keep = Path(os.environ.get("HYBRIDLIB_SCREENSHOT_DIR", tmp_path))
    keep.mkdir(parents=True, exist_ok=True)
    if keep != tmp_path:
        shutil.copy(shot, keep / "lab_08_explore.png")
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, "the screenshot is (nearly) one colour: blank page"
    assert max(ImageStat.Stat(image).stddev) > 10, "the screenshot has no contrast: blank page"
