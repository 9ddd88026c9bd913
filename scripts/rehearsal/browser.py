"""A user in headless Chromium (Debian's chromium and chromedriver, driven by Selenium) on a frontend pod:
sign up, ask the chat to add a task, see it in the task panel, mark it done, create an access token for an
assistant on the Connect page; later log in again and find the task."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

# The flags the machine's probe found necessary for Chromium as root on a closed network.
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1280,860"]
TASK = "Buy milk"


class FlowError(Exception):
    """The user could not do what the flow expects; the message says which step."""


def _program(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise FlowError(f"{names[0]} not found (Debian: apt-get install chromium chromium-driver)")


class Browser:
    def __init__(self, artifacts: Path):
        self.profile = tempfile.mkdtemp(prefix="rehearsal-chromium-")
        self.artifacts = artifacts
        options = webdriver.ChromeOptions()
        options.binary_location = _program("chromium", "chromium-browser")
        for flag in CHROMIUM_FLAGS + [f"--user-data-dir={self.profile}"]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(_program("chromedriver")), options=options)

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def wait_js(self, what: str, script: str, seconds: float = 20) -> None:
        try:
            WebDriverWait(self.driver, seconds, poll_frequency=0.2).until(
                lambda d: d.execute_script("return " + script))
        except (TimeoutException, WebDriverException) as err:
            shot = self.artifacts / "rehearsal-failure.png"
            self.driver.save_screenshot(str(shot))
            raise FlowError(f"never saw {what} (at {self.driver.current_url}; screenshot {shot})") from err

    def wait_path(self, what: str, predicate: str) -> None:
        self.wait_js(what, f"(p => {predicate})(location.pathname)")

    def submit(self, form_action: str, fields: dict[str, str]) -> None:
        form = self.driver.find_element(By.CSS_SELECTOR, f"form[action='{form_action}']")
        for name, value in fields.items():
            form.find_element(By.NAME, name).send_keys(value)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def say(self, text: str) -> None:
        self.wait_js("the composer free", "!document.getElementById('chat-form').classList.contains('busy')")
        self.driver.find_element(By.ID, "message").send_keys(text + Keys.ENTER)

    def task_in_panel(self, state: str) -> str:
        return (f"[...document.querySelectorAll('#task-panel li.{state} .title')]"
                f".some(e => e.textContent === '{TASK}')")


def sign_up_add_and_complete(base_url: str, email: str, password: str, artifacts: Path) -> str:
    """Returns the access token the user created for an assistant (shown once, on the Connect page)."""
    browser = Browser(artifacts)
    try:
        browser.driver.get(base_url + "/signup")
        browser.submit("/signup", {"name": "Rehearsal", "email": email, "password": password})
        browser.wait_path("the chat after signing up", "p === '/chat'")
        browser.say("add a task to buy milk")
        browser.wait_js(f"'{TASK}' pending in the task panel", browser.task_in_panel("pending"))
        browser.say("mark it done")
        browser.wait_js(f"'{TASK}' done in the task panel", browser.task_in_panel("done"))
        browser.driver.get(base_url + "/connect")
        browser.submit("/connect/tokens", {"name": "Rehearsal assistant"})
        new_token = "document.getElementById('new-token')"
        browser.wait_js("the new access token", f"{new_token} && {new_token}.value.startsWith('todo_pat_')")
        return browser.driver.find_element(By.ID, "new-token").get_attribute("value")
    finally:
        browser.close()


def log_in_and_find_it_done(base_url: str, email: str, password: str, artifacts: Path) -> None:
    browser = Browser(artifacts)
    try:
        browser.driver.get(base_url + "/login")
        browser.submit("/login", {"email": email, "password": password})
        browser.wait_path("the chat after logging in", "p.startsWith('/chat')")
        browser.wait_js(f"'{TASK}' still done in the task panel", browser.task_in_panel("done"))
    finally:
        browser.close()
