"""The Data page in a real browser: upload a real mbox, see its report, run the analysis.

It uses an app and server of its own (a 60-person demo organisation), so the
Enron people it uploads do not show up in the other browser tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from demo.generate import DemoSpec
from tests.apps import make_app
from tests.browser.conftest import screenshot
from tests.browser.conftest import serve
from tests.conftest import SHARED_DATA
from web import tasks
from web.jobs import JOBS
from web.store import close_store

# a real Enron mailbox (54 messages); the small cut in tests/data if ../shared is not there
SHARED_MBOX = SHARED_DATA / "enron-mbox-sample" / "mbox" / "enron.hyatt-k.inbox"
TEST_MBOX = Path(__file__).resolve().parents[1] / "data" / "enron-sample.mbox"


@pytest.fixture(scope="module")
def data_app(tmp_path_factory) -> Iterator:
    """A fresh demo organisation that also counts enron.com as internal mail."""
    root = tmp_path_factory.mktemp("browser-data")
    app = make_app(
        root, PSEUDONYM_KEY="browser-data", INTERNAL_DOMAINS=[DemoSpec().domain, "enron.com"]
    )
    result = app.test_cli_runner().invoke(args=["demo", "--people", "60", "--seed", "5"])
    assert result.exit_code == 0, result.output
    yield app
    tasks.shutdown(app)
    close_store(app)


@pytest.fixture(scope="module")
def data_server(data_app) -> Iterator[str]:
    """``data_app`` on a real WSGI server."""
    with serve(data_app) as url:
        yield url


def full_page(browser, name: str) -> None:
    """A screenshot of the whole page, then the shared window size again."""
    size = browser.get_window_size()
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(size["width"], max(size["height"], height + 140))
    try:
        screenshot(browser, name)
    finally:
        browser.set_window_size(size["width"], size["height"])


def run_counts(browser, file_name: str) -> dict[str, int] | None:
    """The counts the runs table shows for a file (read in one go: rows are rebuilt as it polls)."""
    return browser.execute_script(
        """
        for (const row of document.querySelectorAll("#runs tbody tr[data-run]")) {
          if (row.querySelector("td a").textContent !== arguments[0]) continue;
          const counts = {};
          for (const cell of row.querySelectorAll("td[data-count]")) {
            counts[cell.dataset.count] = Number(cell.textContent.replace(/,/g, ""));
          }
          return counts;
        }
        return null;
        """,
        file_name,
    )


def first_task(browser) -> dict[str, str] | None:
    """State and text of the newest task row."""
    return browser.execute_script(
        """
        const row = document.querySelector("#tasks tbody tr[data-task]");
        return row ? {state: row.dataset.state, text: row.innerText} : null;
        """
    )


def test_upload_a_mailbox_then_run_the_analysis(data_server, data_app, browser, tmp_path):
    mbox = tmp_path / "inbox.mbox"  # a neutral name: no mailbox owner in the screenshot
    shutil.copyfile(SHARED_MBOX if SHARED_MBOX.exists() else TEST_MBOX, mbox)
    browser.get(data_server + "/data")
    assert browser.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]").text == "Data"
    runs_before = len(browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]"))
    assert runs_before == 4  # the demo's directory, mail, meetings and tickets
    assert not browser.find_element(By.ID, "preset-field").is_displayed()

    browser.find_element(By.ID, "upload-file").send_keys(str(mbox))
    browser.find_element(By.ID, "upload-submit").click()
    shown = WebDriverWait(browser, 60).until(lambda b: run_counts(b, "inbox.mbox"))
    [run] = [
        r
        for r in data_app.test_client().get("/api/runs").get_json()["runs"]
        if r["file"] == "inbox.mbox"
    ]
    assert shown == {k: run[k] for k in ("read", "kept", "skipped", "duplicates", "interactions")}
    assert run["kept"] > 0 and run["skipped"] > 0
    assert "inbox.mbox" in browser.find_element(By.ID, "upload-status").text
    assert browser.find_element(By.CSS_SELECTOR, "[data-fresh=last_run]").text != "—"

    browser.find_element(By.ID, "analysis-seed").clear()
    browser.find_element(By.ID, "analysis-seed").send_keys("3")
    browser.find_element(By.ID, "analysis-submit").click()

    def analysis_ended(b) -> dict[str, str] | None:
        task = first_task(b)
        ended = task and "analysis" in task["text"] and task["state"] in ("done", "failed")
        return task if ended else None

    task = WebDriverWait(browser, 180).until(analysis_ended)
    assert task["state"] == "done", task["text"]
    assert f"{len(JOBS)}/{len(JOBS)} {JOBS[-1]}" in task["text"]
    assert "analysis, seed 3, all months" in task["text"]
    assert browser.find_element(By.CSS_SELECTOR, "[data-fresh=last_analysis]").text != "—"
    full_page(browser, "data")

    browser.find_element(By.LINK_TEXT, "inbox.mbox").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.ID, "reasons"))
    assert (
        browser.find_element(By.CSS_SELECTOR, "#run-counts [data-count=kept]").text
        == f"{run['kept']:,}"
    )
    assert browser.find_elements(By.CSS_SELECTOR, "#reasons tbody tr")
    full_page(browser, "data-run")


def test_wrong_files_are_explained_on_the_page(data_server, browser, tmp_path):
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    browser.get(data_server + "/data")
    browser.find_element(By.ID, "upload-file").send_keys(str(empty))
    browser.find_element(By.ID, "upload-submit").click()
    # the status says "Sending …" first, then the server's answer
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.ID, "upload-status").text.strip() not in ("", "Sending …")
    )
    status = browser.find_element(By.ID, "upload-status")
    assert "empty.mbox is empty" in status.text
    assert "error" in status.get_attribute("class")
