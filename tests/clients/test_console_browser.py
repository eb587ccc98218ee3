"""The web console in a real browser: Debian's Chromium, headless, driven by Playwright, against
`lakelens serve` on the demo lakehouse. Each test does what a user does and checks what they
see; screenshots of the main views land in tests/.artifacts/console/ (a few are in docs/images/).

Waits are for states of the page (Playwright's `expect` polls until the state holds); their
timeouts only keep a page that never gets there from hanging the run.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import wave
from pathlib import Path

import pytest

from tests.clients.conftest import CONSOLE_USERS
from tests.media import text_image

pytestmark = pytest.mark.slow

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
# Playwright's own 5 s default is a wall-clock deadline a cold, busy machine can miss (a first
# sign-in starts the session's Spark state): every wait below is for a state, guarded by this.
expect.set_options(timeout=60_000)

SHOTS = Path(__file__).resolve().parents[1] / ".artifacts" / "console"
HANG_GUARD_MS = 300_000  # a statement on a cold, busy machine; never reached when things work
SLOW_QUERY = "SELECT sum(hash(id)) FROM range(0, 40000000000, 1, 400)"
# The flags Chromium needs on a machine with no internet: no background connections, no updates.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Chromium is not installed: `make setup` installs Debian's chromium package")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def sign_in(page, user: str, password: str) -> None:
    page.fill("#login-form input[name=user]", user)
    page.fill("#login-form input[name=password]", password)
    page.click("#login-form button[type=submit]")
    expect(page.get_by_test_id("current-user")).to_have_text(user)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def run_sql(page, sql: str, state: str = "FINISHED") -> None:
    page.get_by_test_id("nav-editor").click()
    page.evaluate("sql => window.lakelensConsole.setSql(sql)", sql)
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("statement-state")).to_contain_text(state, timeout=HANG_GUARD_MS)


@pytest.fixture
def alice_page(browser, console):
    page = open_page(browser, console.console_url)
    sign_in(page, "alice", CONSOLE_USERS["alice"])
    yield page
    page.context.close()


def test_sign_in_and_see_the_scans_next_to_their_ocr_text(browser, console):
    from lakelens.engine.cli.demo import SCANS

    page = open_page(browser, console.console_url)
    expect(page.locator("#login-form")).to_be_visible()
    shot(page, "sign-in.png")
    page.fill("#login-form input[name=user]", "alice")
    page.fill("#login-form input[name=password]", "not her password")
    page.click("#login-form button[type=submit]")
    expect(page.get_by_test_id("login-error")).to_contain_text("wrong user name or password")
    sign_in(page, "alice", CONSOLE_USERS["alice"])

    run_sql(page, "SELECT name, content, ocr(content) AS text FROM demo.media.scans ORDER BY name")
    images = page.locator("[data-testid=results] img.cell-image")
    expect(images).to_have_count(4)
    for i in range(4):  # each thumbnail is a decoded picture, not a broken image
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.nth(i).element_handle())
    results = page.get_by_test_id("results")
    for name, text, _ in SCANS:
        row = results.locator("tr", has_text=name)
        expect(row).to_contain_text(text)
        expect(row.locator("img.cell-image")).to_have_count(1)
    shot(page, "editor-ocr.png")
    page.context.close()


def test_a_recording_plays_in_an_audio_element_with_its_duration(alice_page, console):
    page = alice_page
    run_sql(page, "SELECT name, content FROM demo.media.recordings WHERE name = 'hello.wav'")
    audio = page.locator("[data-testid=results] audio.cell-audio")
    expect(audio).to_have_count(1)
    handle = audio.element_handle()
    page.wait_for_function("a => a.readyState >= 1 && isFinite(a.duration)", arg=handle)
    duration = page.evaluate("a => a.duration", handle)
    # The file's own length, from its WAV header, fetched with the page's session.
    wav = page.request.get(console.console_url + "/api/2.0/fs/files/Volumes/demo/media/recordings/hello.wav").body()
    with wave.open(io.BytesIO(wav)) as w:
        expected = w.getnframes() / w.getframerate()
    assert duration == pytest.approx(expected, abs=0.05)
    page.evaluate("a => a.play()", handle)
    page.wait_for_function("a => a.currentTime > 0", arg=handle)


def test_upload_a_png_into_a_volume_and_find_it_with_a_query(alice_page):
    page = alice_page
    page.get_by_test_id("nav-catalog").click()
    tree = page.get_by_test_id("catalog-tree")
    tree.locator("[data-node='demo']").click()
    tree.locator("[data-node='demo.media']").click()
    tree.locator("[data-node='demo.media.photos']").click()
    thumbs = page.get_by_test_id("file-browser").locator("img.file-thumb")
    expect(thumbs).to_have_count(9)
    for i in range(9):
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbs.nth(i).element_handle())
    shot(page, "volume-photos.png")
    expect(page.locator("button[data-action=delete]")).to_have_count(0)  # alice only reads photos

    tree.locator("[data-node='demo.media.uploads']").click()
    browser_pane = page.get_by_test_id("file-browser")
    expect(browser_pane).to_be_visible()
    png = text_image("UPLOADED FROM THE BROWSER")
    page.get_by_test_id("upload-input").set_input_files(
        files=[{"name": "from-browser.png", "mimeType": "image/png", "buffer": png}])
    entry = browser_pane.locator("[data-file='from-browser.png']")
    expect(entry).to_be_visible()
    thumb = entry.locator("img.file-thumb")
    expect(thumb).to_have_count(1)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    # Dragged and dropped: a real drop event carrying a file, as the desktop sends one.
    page.evaluate("""b64 => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const files = new DataTransfer();
        files.items.add(new File([bytes], 'dropped.png', {type: 'image/png'}));
        document.querySelector('[data-testid=drop-zone]').dispatchEvent(
            new DragEvent('drop', {dataTransfer: files, bubbles: true, cancelable: true}));
    }""", base64.b64encode(text_image("DROPPED")).decode())
    dropped = browser_pane.locator("[data-file='dropped.png'] img.file-thumb")
    expect(dropped).to_have_count(1)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=dropped.element_handle())
    shot(page, "volume-browser.png")

    run_sql(page, "SELECT name, length(content) AS bytes, ocr(content) AS text FROM demo.media.uploads "
                  "WHERE name = 'from-browser.png'")
    row = page.get_by_test_id("results").locator("tr", has_text="from-browser.png")
    expect(row).to_contain_text(str(len(png)))
    expect(row).to_contain_text("UPLOADED FROM THE BROWSER")

    # Delete it to the recycle bin and restore it from there.
    page.get_by_test_id("nav-catalog").click()
    page.get_by_test_id("catalog-tree").locator("[data-node='demo.media.uploads']").click()
    entry.locator("button[data-action=delete]").click()
    expect(entry).to_have_count(0)
    page.get_by_test_id("recycle-bin").click()
    restore = page.locator("tr[data-path$='/uploads/from-browser.png'] button[data-action=restore]")
    expect(restore).to_have_count(1)
    restore.click()
    expect(page.get_by_text("Restored from-browser.png")).to_be_visible()
    page.locator("[data-tab=files]").click()
    expect(page.get_by_test_id("file-browser").locator("[data-file='from-browser.png']")).to_be_visible()


def test_cancel_a_long_query_from_the_editor(alice_page, console):
    page = alice_page
    run_sql(page, SLOW_QUERY, state="RUNNING")
    progress = page.get_by_test_id("progress")
    expect(progress).to_contain_text(re.compile(r"stage \d+ RUNNING \d+/400 tasks"), timeout=HANG_GUARD_MS)
    shot(page, "editor-progress.png")
    page.get_by_test_id("cancel").click()
    expect(page.get_by_test_id("statement-state")).to_contain_text("CANCELED")
    console.wait_for_log(r"console statement \w+ canceled by alice, Spark job group \S+ cancelled")


def test_errors_show_at_their_line_and_column(alice_page):
    page = alice_page
    run_sql(page, "SELECT 1;\nSELECT name\n  FROM demo.media.scans WHERE size > ORDER BY 1", state="ERROR")
    error = page.get_by_test_id("statement-error")
    expect(error).to_contain_text("PARSE_SYNTAX_ERROR")
    expect(error).to_contain_text("line 3, column 38")
    expect(page.locator(".cm-lintRange-error")).to_have_count(1)  # underlined in the editor

    # The history lists it (from the audit log) with its state and client; a click reopens it.
    page.evaluate("sql => window.lakelensConsole.setSql(sql)", "")
    page.get_by_test_id("nav-history").click()
    entry = page.get_by_test_id("history").locator("li", has_text="WHERE size > ORDER BY 1").first
    expect(entry).to_contain_text("ERROR")
    expect(entry).to_contain_text("web-console")
    entry.click()
    assert "WHERE size > ORDER BY 1" in page.evaluate("() => window.lakelensConsole.getSql()")


def test_explorer_shows_tables_functions_and_hides_what_is_not_yours(browser, console):
    admin = open_page(browser, console.console_url)
    sign_in(admin, "admin", CONSOLE_USERS["admin"])
    admin.get_by_test_id("nav-catalog").click()
    expect(admin.get_by_test_id("catalog-tree").locator("[data-node='hr']")).to_be_visible()
    admin.context.close()

    page = open_page(browser, console.console_url)
    sign_in(page, "alice", CONSOLE_USERS["alice"])
    page.get_by_test_id("nav-catalog").click()
    tree = page.get_by_test_id("catalog-tree")
    expect(tree.locator("[data-node='demo']")).to_be_visible()
    expect(tree.locator("[data-node='hr']")).to_have_count(0)
    refused = page.request.get(console.console_url + "/api/2.0/fs/directories/Volumes/hr/staff/badges/")
    assert refused.status == 403, refused.text()

    tree.locator("[data-node='demo']").click()
    tree.locator("[data-node='demo.media']").click()
    tree.locator("[data-node='demo.media.assets']").click()
    detail = page.get_by_test_id("object-detail")
    expect(detail).to_contain_text("expected_text")
    detail.locator("[data-tab=history]").click()
    expect(detail).to_contain_text("CREATE TABLE AS SELECT")
    detail.locator("[data-tab=sample]").click()
    expect(detail).to_contain_text("/Volumes/demo/media/scans/invoice_001.png", timeout=HANG_GUARD_MS)
    shot(page, "catalog-explorer.png")

    tree.get_by_text("Functions", exact=False).first.click()
    tree.locator("[data-node='ocr']").click()
    expect(detail).to_contain_text("Usage: ocr(image BINARY")

    page.get_by_test_id("nav-recipes").click()
    page.locator("[data-recipe=documents_to_chunks]").click()
    page.get_by_test_id("recipe-open").click()
    page.wait_for_function("() => window.lakelensConsole.getSql().includes('demo.media.docs')")
    expect(page.get_by_test_id("editor")).to_be_visible()
    page.context.close()


def test_an_expired_session_goes_back_to_sign_in(browser, tmp_path):
    """A server of its own, whose console sessions last a minute (console.session_max_age_s);
    the test moves the session's start an hour back rather than waiting for the clock."""
    from lakelens.engine.config import Config
    from lakelens.engine.console.sessions import ConsoleSession
    from lakelens.engine.gateway import GatewayServer

    cfg = Config.load(tmp_path, {"console.session_max_age_s": "60"})
    gw = GatewayServer(cfg, host="127.0.0.1", port=0, http_port=None, console_port=0, warm_spark=False).start()
    try:
        page = open_page(browser, gw.console_url)
        sign_in(page, "bob", "")
        [session] = [s for s in gw.manager.sessions() if isinstance(s, ConsoleSession)]
        session.opened -= 3600
        page.evaluate("sql => window.lakelensConsole.setSql(sql)", "SELECT 1")
        page.get_by_test_id("run").click()
        expect(page.get_by_test_id("login-message")).to_contain_text("expired")
        expect(page.locator("#login-form")).to_be_visible()
        assert gw.manager.sessions() == []  # the server ended it, not only the page
        sign_in(page, "bob", "")  # and a new sign-in works, with the editor's text kept
        assert page.evaluate("() => window.lakelensConsole.getSql()") == "SELECT 1"
        page.context.close()
    finally:
        gw.shutdown()
