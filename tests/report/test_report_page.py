"""The report page in a real headless browser: it renders, every figure loads, the console stays clean."""

import os
import shutil
from pathlib import Path

import pytest

from rnnlab.report.build import build_report

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)


def test_report_page_renders_in_chromium(tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    rep = build_report(tmp_path / "report", "quick", only=["S1", "S7"])
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,2400",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(rep.html_path.resolve().as_uri())
        assert driver.title == "rnnlab report"
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth]);")
        assert images, "the page should embed at least one figure"
        assert all(complete and width > 0 for _, complete, width in images), images
        claims = driver.execute_script("return document.querySelectorAll('.claim').length;")
        assert claims == len(rep.claims)
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert not errors, errors
        shot = Path(os.environ.get("RNNLAB_SCREENSHOT", tmp_path / "report.png"))
        assert driver.save_screenshot(str(shot))
    finally:
        driver.quit()
