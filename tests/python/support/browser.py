"""Headless Chromium for the browser tests and the dashboard benchmark: Debian's `chromium`
and `chromedriver`, started with the flags a machine without a network or a display needs."""

from __future__ import annotations

import shutil
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)


def installed() -> bool:
    return bool(CHROMIUM and CHROMEDRIVER)


def chromium(width: int, height: int, *, console_log: bool = False) -> Any:
    """A new headless Chromium driven through chromedriver, its window `width` x `height`;
    with `console_log`, the page's console messages can be read back."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
