"""JupyterLab in headless Chromium, for the browser tests: a throwaway server, the system browser, a notebook page.

The browser is Debian's ``chromium`` driven through its ``chromium-driver`` (both under /usr/bin, or where
the CHROMIUM and CHROMEDRIVER variables say); Selenium never downloads one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
WINDOW = (1280, 900)

# JupyterLab settings for a quiet, fully rendered notebook: every cell in the page (no windowing, so the
# whole notebook can be read and photographed), no blank space past its end, no news or update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "scrollPastEnd": False,
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when Selenium, Chromium and its driver are present."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements.txt)"
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        return (
            f"no {' or '.join(missing)}: install Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver) or set CHROMIUM and CHROMEDRIVER"
        )
    return None


@contextmanager
def jupyterlab_server(
    root_dir: Path, state_dir: Path, env: dict[str, str], start_timeout: float = 120
) -> Iterator[str]:
    """Run JupyterLab on 127.0.0.1 (a free port, a random token) serving ``root_dir``; yields its URL with token.

    Its settings, workspaces, runtime files and log go to ``state_dir``. On exit the server and every
    process it started (kernels included) are stopped, whatever happened inside the ``with``.
    """
    settings_dir = state_dir / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    runtime_dir = state_dir / "runtime"
    token = secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={settings_dir}",
        f"--LabApp.workspaces_dir={state_dir / 'workspaces'}",
    ]
    log = (state_dir / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        command,
        env={**env, "JUPYTER_RUNTIME_DIR": str(runtime_dir)},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        info = _server_info(runtime_dir / f"jpserver-{server.pid}.json", server, start_timeout)
        yield f"{info['url'].rstrip('/')}/lab?token={token}"
    finally:
        _stop_with_children(server)
        log.close()


def _server_info(info_file: Path, server: subprocess.Popen, timeout: float) -> dict:
    """The JSON the server writes once it listens (url, port, ...), waited for until complete."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return json.loads(info_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"JupyterLab did not start; see its log next to {info_file.parent}"
                ) from None
            time.sleep(0.2)


def _stop_with_children(process: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM ``process`` (JupyterLab shuts its kernels down on it), then kill whatever is left."""
    import psutil

    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        child.kill()


@contextmanager
def chromium(user_data_dir: Path) -> Iterator[selenium.webdriver.Chrome]:  # noqa: F821
    """A headless Chromium (WINDOW pixels) with a fresh profile, driven by Selenium; quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={user_data_dir}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        driver.set_script_timeout(120)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(user_data_dir, ignore_errors=True)


def open_lab(driver, lab_url: str, timeout: float = 120) -> None:
    """Load JupyterLab's page and wait until it has started and restored its layout."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(lab_url)
    WebDriverWait(driver, timeout, poll_frequency=0.5).until(
        lambda d: d.execute_script("return !!window.jupyterapp;")
    )
    driver.execute_async_script("window.jupyterapp.restored.then(arguments[arguments.length - 1]);")


# The open notebook as JupyterLab's model holds it: kernel status, and per cell its type, source,
# execution count and a summary of each output (image data left out).
_NOTEBOOK_STATE_JS = """
const panel = window.jupyterapp.shell.widgets('main').find(w => w.id === arguments[0]);
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
const cells = Array.from(panel.content.model.cells, cell => ({
  type: cell.type,
  source: cell.sharedModel.getSource(),
  count: cell.type === 'code' ? cell.executionCount : null,
  outputs: cell.type === 'code' ? cell.outputs.toJSON().map(output => ({
    type: output.output_type, name: output.name || null, ename: output.ename || null,
    text: [].concat(output.text || output.evalue || (output.data && output.data['text/plain']) || []).join(''),
    mimes: Object.keys(output.data || {})})) : [],
}));
const running = Array.from(panel.node.querySelectorAll('.jp-InputPrompt'), p => p.textContent)
  .some(text => text.includes('*'));
return {ready: panel.sessionContext.isReady, kernel: kernel ? kernel.status : null, running: running, cells: cells};
"""


class NotebookPage:
    """One notebook opened in JupyterLab and driven as a student drives it: menus, clicks and the keyboard.

    Queries of the page are scoped to this notebook's panel, so several notebooks can be open at once.
    """

    def __init__(self, driver, path: str, timeout: float = 120):
        """Open ``path`` (relative to the server's root) as a double-click in the file browser does; wait for
        its kernel."""
        self.driver = driver
        self.path = path
        self.panel_id = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.jupyterapp.commands.execute('docmanager:open', {path: arguments[0]})"
            ".then(panel => panel.context.ready.then(() => done(panel.id)));",
            path,
        )
        self.wait_until_idle(timeout)

    @property
    def panel(self):
        """The notebook panel's element."""
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.ID, self.panel_id)

    def state(self) -> dict:
        """The notebook: ``{"ready", "kernel", "running", "cells": [{"type", "source", "count", "outputs"}]}``."""
        return self.driver.execute_script(_NOTEBOOK_STATE_JS, self.panel_id)

    def wait_until_idle(self, timeout: float, after_count: int | None = None) -> dict:
        """Wait until the kernel is idle and no cell is queued or running; with ``after_count``, also until the
        last code cell has run with an execution count above it (or a cell failed). Returns the final state."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            last_count = [c["count"] for c in state["cells"] if c["type"] == "code"][-1] or 0
            finished = after_count is None or last_count > after_count or self.errors(state)
            if state["ready"] and state["kernel"] == "idle" and not state["running"] and finished:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.path}: still running after {timeout:.0f} s (kernel {state['kernel']})"
                )
            time.sleep(0.5)

    def run_all(self, timeout: float) -> dict:
        """Run > Run All Cells, then wait for the last cell; returns the final state."""
        self.click_menu("Run", "Run All Cells")
        return self.wait_until_idle(timeout, after_count=0)

    def run_from(self, index: int, timeout: float) -> dict:
        """Select cell ``index``, then Run > Run Selected Cell and All Below; returns the final state."""
        before = max(c["count"] or 0 for c in self.state()["cells"] if c["type"] == "code")
        self.cell(index).find_element("css selector", ".jp-InputPrompt").click()
        self.click_menu("Run", "Run Selected Cell and All Below")
        return self.wait_until_idle(timeout, after_count=before)

    def click_menu(self, menu: str, item: str) -> None:
        """Click the menu bar's ``menu``, then its entry labelled ``item``."""
        from selenium.webdriver.common.by import By

        self.driver.find_element(
            By.XPATH, f"//li[contains(@class, 'lm-MenuBar-item')][div[text()='{menu}']]"
        ).click()
        self.driver.find_element(
            By.XPATH, f"//li[contains(@class, 'lm-Menu-item')][div[text()='{item}']]"
        ).click()

    def type_into_cell(self, index: int, text: str) -> None:
        """Click into cell ``index``'s editor, select all of it and type ``text`` over it."""
        from selenium.webdriver.common.keys import Keys

        editor = self.cell(index).find_element("css selector", ".cm-content")
        editor.click()
        editor.send_keys(Keys.CONTROL, "a")
        editor.send_keys(text)

    def shutdown_kernel(self) -> None:
        """Shut the notebook's kernel down (Kernel > Shut Down Kernel, without the confirmation dialog)."""
        self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const panel = window.jupyterapp.shell.widgets('main').find(w => w.id === arguments[0]);"
            "panel.sessionContext.shutdown().then(done, done);",
            self.panel_id,
        )

    @staticmethod
    def errors(state: dict) -> list[str]:
        """Every error output, as "cell N: Name: message"."""
        return [
            f"cell {i}: {o['ename']}: {o['text']}"
            for i, cell in enumerate(state["cells"])
            for o in cell["outputs"]
            if o["type"] == "error"
        ]

    @staticmethod
    def stderr(state: dict) -> list[str]:
        """Every stderr stream output (JupyterLab shows it in red), as "cell N: text"."""
        return [
            f"cell {i}: {o['text']}"
            for i, cell in enumerate(state["cells"])
            for o in cell["outputs"]
            if o["type"] == "stream" and o["name"] == "stderr"
        ]

    @staticmethod
    def cell_index(state: dict, containing: str) -> int:
        """The index of the one code cell whose source contains ``containing``."""
        matches = [
            i
            for i, c in enumerate(state["cells"])
            if c["type"] == "code" and containing in c["source"]
        ]
        assert len(matches) == 1, f"{len(matches)} code cells contain {containing!r}"
        return matches[0]

    def cell(self, index: int):
        """Cell ``index``'s element."""
        return self.panel.find_elements("css selector", ".jp-Notebook .jp-Cell")[index]

    def rendered_images(self, index: int) -> list[dict]:
        """Each image that loaded in cell ``index``'s outputs: ``{"mime", "width", "height"}`` (natural pixels)."""
        return self.driver.execute_script(
            "return Array.from(arguments[0].querySelectorAll('.jp-OutputArea-output img'))"
            ".filter(img => img.complete && img.naturalWidth > 0)"
            ".map(img => ({mime: img.closest('[data-mime-type]').dataset.mimeType,"
            "              width: img.naturalWidth, height: img.naturalHeight}));",
            self.cell(index),
        )

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole notebook, top to bottom: the window is stretched to the notebook's height for it."""
        height = self.driver.execute_script(
            "const outer = document.getElementById(arguments[0]).querySelector('.jp-WindowedPanel-outer');"
            "outer.scrollTop = 0; return outer.scrollHeight - outer.clientHeight;",
            self.panel_id,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.set_window_size(WINDOW[0], min(WINDOW[1] + height, 16000))
        try:
            self.driver.save_screenshot(str(path))
        finally:
            self.driver.set_window_size(*WINDOW)
        return path


def selects_too_narrow(element) -> list[str]:
    """The <select>s under the page ``element`` whose chosen option's text is wider than the room the select
    gives it (its inner width less its padding, where the arrow sits), each as "text (needs N px, has M px)"."""
    return element.parent.execute_script(
        """
        const canvas = document.createElement('canvas').getContext('2d');
        return Array.from(arguments[0].querySelectorAll('select')).flatMap(select => {
          const style = getComputedStyle(select);
          canvas.font = style.font;
          const text = select.options[select.selectedIndex].text;
          const needs = canvas.measureText(text).width;
          const has = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
          return needs > has ? [`${text} (needs ${needs.toFixed(1)} px, has ${has.toFixed(1)} px)`] : [];
        });""",
        element,
    )


def truncated_buttons(element) -> list[str]:
    """The buttons under the page ``element`` whose label does not fit (shown cut, with an ellipsis), by title."""
    return element.parent.execute_script(
        "return Array.from(arguments[0].querySelectorAll('button'))"
        ".filter(b => b.scrollWidth > b.clientWidth).map(b => b.title || b.textContent);",
        element,
    )
