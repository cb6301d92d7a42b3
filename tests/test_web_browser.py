"""The web site in a real browser: Debian's Chromium, headless, driven through Selenium with
the system's chromedriver. Nothing is downloaded: Selenium Manager must never run.

Where Chromium is missing these tests skip, except under CI=true, where that is a failure
(`.ci/run` installs it).
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.selenium_manager import SeleniumManager
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e import copy_seeded_sqlite
from tests.web_site import fetch_json, running_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE, DESKTOP = (390, 844), (1280, 900)


@pytest.fixture(scope="module")
def site(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("web-browser")
    url = copy_seeded_sqlite(seeded_sqlite_template, directory)
    with running_site(url, directory / "web.log") as base:
        yield base


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing in CI: .ci/run installs chromium chromium-driver")
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")

    def no_downloads(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Selenium Manager ran: it may download a driver or a browser")

    monkeypatch.setattr(SeleniumManager, "binary_paths", no_downloads)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def search_and_follow(driver: webdriver.Chrome, site: str, question: str) -> None:
    """What a reader does: the search box on /, then the event it finds."""
    driver.get(site + "/")
    box = driver.find_element(By.ID, "q")
    box.send_keys(question)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    best = WebDriverWait(driver, 10).until(
        expected_conditions.element_to_be_clickable((By.ID, "best"))
    )
    best.click()
    WebDriverWait(driver, 10).until(expected_conditions.url_contains("/events/"))


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone-390px", "desktop"])
def test_a_reader_finds_the_makiivka_claims_from_the_search_box(
    site: str, browser: webdriver.Chrome, tmp_path: Path, size: tuple[int, int]
) -> None:
    browser.set_window_size(*size)
    search_and_follow(browser, site, "makeevka death toll")
    assert browser.current_url == site + "/events/makiivka-strike"
    shown = browser.find_element(By.TAG_NAME, "body").text
    # The competing figures, who made them, and how each stands and why.
    for words in ("63 Russian servicemen", "89 Russian servicemen", "around 400 fatalities"):
        assert words in shown
    for claimant in ("Russian Ministry of Defence", "Ukrainian military", "Igor Girkin"):
        assert claimant in shown
    _, card = fetch_json(site + "/api/events/makiivka-strike")
    reasons = {c["status_reason"] for c in card["claims"] if c["status_reason"]}
    assert reasons and all(reason in shown for reason in reasons)
    assert "disputed" in shown and "unverified" in shown
    # Read without scrolling sideways, at a phone's width too.
    wide = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0
    browser.save_screenshot(str(tmp_path / f"makiivka-{size[0]}px.png"))
    assert (tmp_path / f"makiivka-{size[0]}px.png").stat().st_size > 10_000


def test_the_page_needs_no_javascript(site: str, browser: webdriver.Chrome) -> None:
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(site + "/events/makiivka-strike")
    assert "89 Russian servicemen" in browser.find_element(By.TAG_NAME, "body").text
