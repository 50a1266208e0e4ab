"""The HTML report in a real browser: every chart decodes and shows something; no error is logged.

``casualty-etl report`` writes ``report.html`` for the scenario lake (``_scenarios.py``: aggregated by
the command itself). Headless Chromium opens that file unchanged, driven over the DevTools protocol on
a pipe (``--remote-debugging-pipe``: no port, no Python dependency). Checked on the loaded page: every
``<img>`` has decoded (``img.decode()`` resolves, natural width and height above zero) and is not
blank (drawn on a canvas, a fair share of its pixels differ from its corner colour, in several
colours); no console message of level error, no uncaught exception and no browser log entry of
level error (a broken image or a blocked resource is logged there).

The browser runs with no network at all: every host name resolves to nothing and every request goes
to a closed proxy on 127.0.0.1; background services (updates, sync, safe browsing) are off. Skipped
when no Chromium is installed (``make browser`` installs Debian's package). Needs about 5 s.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import matplotlib.image as plt_image
import numpy as np
import pytest
from _scenarios import build_lake

from casualty_etl.cli import main

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds for the browser to start, load the page and answer (it takes about 2 s).
TIMEOUT = 60.0
#: A chart is blank when fewer of its pixels than this differ from its corner colour.
MIN_INK = 0.01

_CHROMIUM = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
pytestmark = pytest.mark.skipif(_CHROMIUM is None, reason="no Chromium installed (make browser)")

#: Runs in the page: a JSON report on every image (decoded, natural size, share of inked pixels,
#: number of distinct colours among the inked ones, sampled).
CHECK_IMAGES = """
(async () => {
  const results = [];
  for (const img of Array.from(document.images)) {
    const result = {alt: img.alt, decoded: true, width: 0, height: 0, ink: 0, colours: 0};
    try { await img.decode(); } catch (error) { result.decoded = false; result.error = String(error); }
    result.width = img.naturalWidth;
    result.height = img.naturalHeight;
    if (result.decoded && result.width > 0 && result.height > 0) {
      const canvas = document.createElement("canvas");
      canvas.width = result.width;
      canvas.height = result.height;
      const context = canvas.getContext("2d");
      context.drawImage(img, 0, 0);
      const data = context.getImageData(0, 0, result.width, result.height).data;
      const corner = [data[0], data[1], data[2], data[3]];
      const colours = new Set();
      let inked = 0, pixels = 0;
      for (let i = 0; i < data.length; i += 4 * 7) {
        pixels += 1;
        if (data[i] !== corner[0] || data[i + 1] !== corner[1] || data[i + 2] !== corner[2]
            || data[i + 3] !== corner[3]) {
          inked += 1;
          colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        }
      }
      result.ink = inked / pixels;
      result.colours = colours.size;
    }
    results.push(result);
  }
  return JSON.stringify({title: document.title, sections: document.querySelectorAll("section").length,
                         images: results});
})()
"""


class DevToolsPipe:
    """Chromium's DevTools protocol over ``--remote-debugging-pipe``: JSON messages ending in NUL,
    commands written to the browser's fd 3, answers and events read from its fd 4."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        flags = [
            "--headless",
            "--no-sandbox",  # tests run as root in CI
            "--disable-gpu",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            "about:blank",
        ]
        # The browser wants the pipe on fds 3 and 4 exactly: bash moves them there (dash cannot
        # redirect from descriptors above 9).
        command = f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write}'
        self.log_path = profile / "chromium.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                ["bash", "-c", command, executable, *flags],
                pass_fds=(to_browser_read, from_browser_write),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its answer (events that arrive meanwhile are kept)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError(f"the browser has exited; its log ends: {self.log_tail()}") from None
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("the browser did not answer")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError(f"the browser closed the pipe; its log ends: {self.log_tail()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def close(self) -> None:
        try:
            os.write(self._to_browser, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)


def _errors(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions and browser log errors among the protocol's events."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            words = (str(a.get("value", a.get("description"))) for a in params["args"])
            found.append("console: " + " ".join(words))
        elif method == "Runtime.exceptionThrown":
            found.append("exception: " + params["exceptionDetails"].get("text", ""))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(f"log: {params['entry'].get('text', '')} {params['entry'].get('url', '')}")
    return found


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("browser-lake")
    build_lake(str(lake))
    out = tmp_path_factory.mktemp("browser-report")
    with pytest.raises(SystemExit) as exit_info:  # the command itself, in this process
        main(["report", "--lake", str(lake), "-o", str(out)])
    assert exit_info.value.code == 0
    return out / "report.html"


def inspect_page(path: Path) -> tuple[dict, list[str]]:
    """(what CHECK_IMAGES found, the errors logged) for the page at ``path`` opened in Chromium."""
    with tempfile.TemporaryDirectory(prefix="casualty-etl-chromium-") as profile:
        browser = DevToolsPipe(_CHROMIUM, Path(profile))
        try:
            targets = browser.send("Target.getTargets")["targetInfos"]
            target = next(t["targetId"] for t in targets if t["type"] == "page")
            attached = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})
            session = attached["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                browser.send(f"{domain}.enable", session=session)
            browser.send("Page.navigate", {"url": path.as_uri()}, session=session)
            browser.wait_for("Page.loadEventFired")
            answer = browser.send(
                "Runtime.evaluate",
                {"expression": CHECK_IMAGES, "awaitPromise": True, "returnByValue": True},
                session=session,
            )
            if "exceptionDetails" in answer:
                raise AssertionError(f"the check failed in the page: {answer['exceptionDetails']}")
            return json.loads(answer["result"]["value"]), _errors(browser.events)
        finally:
            browser.close()


def _problems(found: dict) -> list[str]:
    """What is wrong with the page's charts (none, or not decoded, or empty, or blank)."""
    if not found["images"]:
        return ["no chart"]
    problems = []
    for image in found["images"]:
        if not (image["decoded"] and image["width"] > 0 and image["height"] > 0):
            problems.append(f"not decoded: {image['alt']}")
        elif image["ink"] < MIN_INK or image["colours"] < 3:
            problems.append(f"blank: {image['alt']}")
    return problems


@pytest.fixture(scope="module")
def page(report_html: Path) -> tuple[dict, list[str]]:
    return inspect_page(report_html)


def test_report_page_loads_with_its_sections(page) -> None:
    found, _ = page
    assert (bool(found["title"]), found["sections"]) == (True, 6)


def test_every_chart_decodes_and_is_not_blank(page) -> None:
    assert _problems(page[0]) == []


def test_no_console_errors(page) -> None:
    assert page[1] == []


def test_the_check_sees_blank_and_broken_charts_and_console_errors(tmp_path: Path) -> None:
    """A white PNG (blank), bytes that are no image, and a script that logs an error."""
    buffer = io.BytesIO()
    plt_image.imsave(buffer, np.ones((40, 60, 3)), format="png")
    white = base64.b64encode(buffer.getvalue()).decode("ascii")
    page_path = tmp_path / "bad.html"
    page_path.write_text(
        "<!DOCTYPE html><html><head><title>bad</title></head><body>"
        f'<img alt="white" src="data:image/png;base64,{white}">'
        '<img alt="broken" src="data:image/png;base64,bm90IGFuIGltYWdl">'
        "<script>console.error('drawn wrong')</script></body></html>",
        encoding="utf-8",
    )
    found, errors = inspect_page(page_path)
    assert _problems(found) == ["blank: white", "not decoded: broken"]
    assert any("drawn wrong" in e for e in errors)
