"""The view in a real browser: headless Debian chromium driven by Selenium through /usr/bin/chromedriver.

``.ci/run`` installs ``chromium`` and ``chromium-driver`` with apt-get when they are missing.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import time

import numpy as np
import pytest

from test_evaluate_cli import TINY

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1300,1400")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from typer.testing import CliRunner

    from spacexnet_opt.cli.app import app

    d = tmp_path_factory.mktemp("view")
    (d / "tiny.toml").write_text(TINY)
    result = CliRunner().invoke(app, ["view", str(d / "tiny.toml"), "-o", str(d / "view.html"), "--frames", "3"])
    assert result.exit_code == 0, result.output
    return d / "view.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def _satellites(driver, *, globe: bool = False) -> np.ndarray:
    """(lon, lat) of the satellites the page holds, on the map (``view-0``) or on the globe (``view-1``)."""
    from spacexnet_opt.view import GLOBE_TRACES, TRACE_NAMES

    div, index = ("view-1", GLOBE_TRACES.index("satellites")) if globe else ("view-0", TRACE_NAMES.index("satellites"))
    xy = driver.execute_script(f"const t = document.getElementById('{div}').data[{index}]; "
                               "return [Array.from(t.x || t.lon), Array.from(t.y || t.lat)];")
    return np.array(xy, dtype=float).T


def _globe_points(driver) -> list:
    """Screen positions of the satellites drawn on the globe (the front hemisphere's)."""
    from spacexnet_opt.view import GLOBE_TRACES

    return driver.execute_script("return Array.from(document.querySelectorAll('#view-1 .geolayer .trace')"
                                 f"[{GLOBE_TRACES.index('satellites')}].querySelectorAll('path.point'))"
                                 ".map(p => p.getAttribute('transform'));")


def _requests(driver) -> list[str]:
    events = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    return [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]


def test_view_loads_offline_and_the_slider_moves_the_satellites(page, browser):
    from PIL import Image
    from selenium.webdriver.common.by import By

    html = page.read_text()
    assert "<script src=" not in html  # plotly.js inlined
    browser.get(page.as_uri())
    deadline = time.monotonic() + 20
    while not browser.execute_script("return !!(document.getElementById('view-0') || {}).data"):
        assert time.monotonic() < deadline, "figure never drawn"
        time.sleep(0.1)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    requested = _requests(browser)
    assert page.as_uri() in requested
    assert [u for u in requested if u.split(":")[0] in ("http", "https", "ws", "wss")] == []  # offline
    before, globe_before, drawn_before = _satellites(browser), _satellites(browser, globe=True), _globe_points(browser)
    assert before.shape == (320, 2) and np.array_equal(before, globe_before)  # TINY: 10 planes x 32 satellites
    time.sleep(0.5)
    assert browser.execute_script("return document.getElementById('view-0').layout.sliders[0].active;") == 0
    assert np.allclose(_satellites(browser), before)  # nothing plays by itself
    rail = browser.find_element(By.CSS_SELECTOR, "#view-0 .slider-rail-rect")
    from selenium.webdriver import ActionChains

    ActionChains(browser).move_to_element_with_offset(rail, rail.size["width"] // 2 - 2, 0).click().perform()
    deadline = time.monotonic() + 20  # the last step, near the rail's right end
    while np.allclose(_satellites(browser), before):
        active = browser.execute_script("return document.getElementById('view-0').layout.sliders[0].active;")
        assert time.monotonic() < deadline, f"the slider (at step {active}) did not move the satellites"
        time.sleep(0.1)
    assert browser.execute_script("return document.getElementById('view-0').layout.sliders[0].active;") == 2
    after = _satellites(browser)
    assert after.shape == before.shape and np.abs(after - before).max() > 1.0
    while not np.array_equal(_satellites(browser, globe=True), after):  # the globe follows the map's slider
        assert time.monotonic() < deadline, "the globe did not follow the slider"
        time.sleep(0.1)
    while _globe_points(browser) == drawn_before:  # ... and is redrawn
        assert time.monotonic() < deadline, "the globe was not redrawn"
        time.sleep(0.1)
    shot = Image.open(io.BytesIO(base64.b64decode(browser.get_screenshot_as_base64()))).convert("L")
    assert np.asarray(shot).std() > 10  # not a blank page
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_globe_and_map_render_offline_in_order(page, browser):
    """The globe is drawn (orthographic, with its land, coasts, satellites), the map spans -180..180 degrees,
    the gateways are drawn above the token path in both views, and nothing is fetched or logged as an error."""
    from spacexnet_opt.view import GLOBE_TRACES, TRACE_NAMES

    browser.get(page.as_uri())
    deadline = time.monotonic() + 20
    while not browser.execute_script("return !!document.querySelector('#view-1 .geolayer .trace')"):
        assert time.monotonic() < deadline, "globe never drawn"
        time.sleep(0.1)
    assert browser.execute_script("return document.getElementById('view-0')._fullLayout.xaxis.range;") == [-180, 180]
    assert browser.execute_script("return document.getElementById('view-1')._fullLayout.geo.projection.type;") \
        == "orthographic"
    drawn = browser.execute_script(  # trace names in the order of their SVG groups, per view
        "return ['#view-0 .cartesianlayer', '#view-1 .geolayer'].map(layer => Array.from("
        "document.querySelectorAll(layer + ' .trace')).map(g => g.__data__[0].trace.name));")
    for names, order in zip((TRACE_NAMES, GLOBE_TRACES), drawn):
        assert [n for n in names if n in order] == order  # SVG order = trace order: later is above
        assert order.index("gateways") > order.index("token path") > order.index("land")
    points = browser.execute_script("return Array.from(document.querySelectorAll('#view-1 .geolayer .trace'))"
                                    ".map(g => g.querySelectorAll('path.point').length);")
    assert points[GLOBE_TRACES.index("satellites")] > 100  # the front hemisphere's satellites (of 320)
    assert points[GLOBE_TRACES.index("gateways")] > 0
    fill, width, height = browser.execute_script(
        "const p = document.querySelector('#view-1 .geolayer .trace path'); const b = p.getBBox();"
        "return [p.style.fill, b.width, b.height];")
    assert fill == "rgb(13, 43, 69)" and width > 300 and abs(width - height) < 2  # the ocean fills the whole disc
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    assert [u for u in _requests(browser) if u.split(":")[0] in ("http", "https", "ws", "wss")] == []


def test_deployment_view_shows_replicas_and_compute_groups(browser, tmp_path):
    from typer.testing import CliRunner

    from spacexnet_opt.cli.app import app
    from spacexnet_opt.view import TRACE_NAMES

    (tmp_path / "tiny.toml").write_text(TINY)
    dep, out = tmp_path / "dep.json", tmp_path / "dep.html"
    runner = CliRunner()
    for args in (["optimize", str(tmp_path / "tiny.toml"), "-o", str(dep), "--replicas", "4", "--compute-group",
                  "waterfill", "--group-size", "4"], ["view", str(dep), "-o", str(out), "--frames", "2"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    browser.get(out.as_uri())
    deadline = time.monotonic() + 20
    while not browser.execute_script("return !!(document.getElementById('view-0') || {}).data"):
        assert time.monotonic() < deadline, "figure never drawn"
        time.sleep(0.1)
    names = browser.execute_script("return document.getElementById('view-0').data.map(t => t.name);")
    assert names == list(TRACE_NAMES)
    counts = browser.execute_script("return document.getElementById('view-0').data.map(t => (t.x || t.lon).length);")
    assert counts[TRACE_NAMES.index("replicas")] == 4 and counts[TRACE_NAMES.index("compute groups")] > 32
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
