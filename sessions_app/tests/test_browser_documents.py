"""Issue 16 in Chromium, as people would use it: an admin builds a two-document package in the app,
a host picks it for a participant in the session form, the participant opens the invite's link on a
phone-sized screen, fills in the forms and signs with the pad (drawn with mouse moves), and the
host's dashboard reads "Documents: 2 of 2 signed". The team's PDF, turned into a PNG by pdftoppm,
shows the answers and the signature. Screenshots go to $SCREENSHOT_DIR when it is set."""
import os
import re
import shutil
import subprocess
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from notifications.models import Notification
from sessions_app.models import DocumentSubmission, Participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path):
    folder = os.environ.get("SCREENSHOT_DIR") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)

    def shoot(page, name):
        path = os.path.join(folder, f"documents-{name}.png")
        page.screenshot(path=path, full_page=True)
        return path

    shoot.folder = folder
    return shoot


@pytest.fixture
def demo():
    call_command("demo_data", stdout=open(os.devnull, "w"))


def log_in(page, live_server, email):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


# Names are anchored: a Bootstrap icon's glyph is part of a button's accessible name.
def add_field(page, label, kind, *, required=False, options=None, text=None):
    page.get_by_role("button", name=re.compile(r"Add a field$")).click()
    row = page.locator(".field-row").last
    row.get_by_label("Label").fill(label)
    row.get_by_label("Kind").select_option(label=kind)
    if required:
        row.get_by_label("Required").check()
    if options:
        row.locator("textarea[name$=-options]").fill("\n".join(options))
    if text:
        row.locator("textarea[name$=-text]").fill(text)


def build_template(page, live_server, name, title, fields):
    page.goto(f"{live_server.url}/settings/documents/templates/new/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Title").fill(title)
    page.locator(".field-row").first.locator("input[name$=-DELETE]").check()  # the empty row offered
    for field in fields:
        add_field(page, **field)
    page.get_by_role("button", name="Save template", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(f"“{name}” saved as version 1")


def draw_signature(page):
    box = page.locator("#signature-pad").bounding_box()
    x, y = box["x"] + 25, box["y"] + box["height"] * 0.6
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 30):
        page.mouse.move(x + i * 9, y - 35 * abs(((i % 8) - 4) / 4), steps=2)
    page.mouse.up()


def test_build_pick_fill_sign_and_count(chromium, live_server, demo, shots, tmp_path):
    # 1. The admin builds two templates and a package (laptop).
    laptop = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = laptop.new_page()
    page.set_default_timeout(15000)
    log_in(page, live_server, "admin@demo.test")
    build_template(page, live_server, "Release form", "Release of information", [
        dict(label="Who may we talk to?", kind="Short text", required=True),
        dict(label="What may we share?", kind="Several choices", options=["Diagnosis", "Attendance", "Progress"]),
    ])
    build_template(page, live_server, "Video consent", "Consent to video sessions", [
        dict(label="About video sessions", kind="Statement to read", text="Video sessions are never recorded."),
        dict(label="Where will you be?", kind="Choice", options=["Home", "Work"], required=True),
        dict(label="Your initials", kind="Initials", required=True),
    ])
    page.goto(f"{live_server.url}/settings/documents/templates/new/")
    shots(page, "builder-new-laptop")
    page.goto(f"{live_server.url}/settings/documents/packages/new/")
    page.get_by_label("Name").fill("First session papers")
    page.get_by_label("Release form").check()
    page.get_by_label("Video consent").check()
    page.get_by_role("button", name="Save package", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("Package “First session papers” saved.")
    shots(page, "builder-laptop")
    laptop.close()

    # 2. The host picks it for a participant in the session form.
    laptop = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = laptop.new_page()
    page.set_default_timeout(15000)
    log_in(page, live_server, "host@demo.test")
    day = (datetime.now(zoneinfo.ZoneInfo("America/New_York")) + timedelta(days=3)).date()
    page.goto(f"{live_server.url}/sessions/new/?date={day.isoformat()}&time=21:00")
    row = page.locator(".participant-row").first
    row.get_by_label("Participant Name or Initials").fill("Noa Levi")
    row.get_by_label("E-mail").fill("noa.levi@example.com")
    row.get_by_label("Show Participant Documents").select_option(label="First session papers")
    page.locator("select[name='services-0-service']").select_option(label="90837 Psychotherapy, 60 min")
    shots(page, "session-form-laptop")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    tile = page.locator(".participant-tile", has_text="Noa Levi")
    expect(tile).to_contain_text("Documents: 0 of 2 signed")

    # 3. The participant opens the invitation's link on a phone.
    person = Participant.objects.get(name="Noa Levi")
    invite = Notification.objects.get(participant=person, kind="invite")
    link = re.search(r"https?://\S+/d/\S+/", invite.body_text).group(0)
    link = live_server.url + link[link.index("/d/"):]
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                 has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(15000)
    mobile.goto(link)
    expect(mobile.locator("[data-documents-count]")).to_have_text("Documents: 0 of 2 signed")
    shots(mobile, "participant-list-phone")

    mobile.get_by_role("link", name="Open", exact=True).first.click()
    expect(mobile.get_by_role("heading", name="Release of information")).to_be_visible()
    mobile.get_by_label("Who may we talk to?").fill("Dr. Ада Кац, my GP")
    expect(mobile.locator("#autosave-state")).to_have_text("All answers saved.")
    mobile.get_by_label("Attendance").check()
    mobile.get_by_label("Progress").check()
    draw_signature(mobile)
    mobile.get_by_label("I agree to sign electronically").check()
    shots(mobile, "fill-phone")
    mobile.get_by_role("button", name=re.compile(r"Sign document$")).click()
    expect(mobile.locator(".alert-success")).to_contain_text("“Release of information” is signed.")
    expect(mobile.locator("[data-documents-count]")).to_have_text("Documents: 1 of 2 signed")

    mobile.get_by_role("link", name="Open", exact=True).click()
    expect(mobile.get_by_text("Video sessions are never recorded.")).to_be_visible()
    mobile.get_by_label("Work").check()
    mobile.get_by_role("button", name=re.compile(r"Sign document$")).click()  # no initials, no signature yet
    expect(mobile.locator(".invalid-feedback").first).to_be_visible()
    assert DocumentSubmission.objects.count() == 1
    shots(mobile, "fill-errors-phone")
    mobile.get_by_label("Your initials").fill("NL")
    draw_signature(mobile)
    mobile.get_by_label("I agree to sign electronically").check()
    mobile.get_by_role("button", name=re.compile(r"Sign document$")).click()
    expect(mobile.locator("[data-documents-count]")).to_have_text("Documents: 2 of 2 signed")
    shots(mobile, "all-signed-phone")
    phone.close()

    # 4. The host's tile counts them.
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator(".participant-tile", has_text="Noa Levi")).to_contain_text("Documents: 2 of 2 signed")
    shots(page, "dashboard-laptop")

    # 5. The team reads the signed document and downloads the PDF; pdftoppm shows answers and signature.
    page.goto(f"{live_server.url}/documents/?state=signed")
    page.locator("tr", has_text="Release of information").get_by_role("link", name="View", exact=True).click()
    expect(page.locator("[data-sha256]")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(page.locator(".signature-image")).to_be_visible()
    shots(page, "submission-laptop")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"PDF with audit page$")).click()
    pdf_path = tmp_path / "signed.pdf"
    download.value.save_as(pdf_path)
    submission = DocumentSubmission.objects.get(title="Release of information")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf_path), "-"], check=True, capture_output=True, text=True).stdout
        assert "Dr. Ада Кац, my GP" in text and "Attendance, Progress" in text and "Noa Levi" in text
        assert submission.sha256 in text.replace("\n", "")
    if shutil.which("pdftoppm"):
        prefix = os.path.join(shots.folder, "documents-pdf")
        subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf_path), prefix], check=True)
        first_page = Image.open(f"{prefix}-1.png").convert("L")
        # The signature is drawn ink in the lower part of the page, below the answers.
        width, height = first_page.size
        dark = sum(1 for value in first_page.crop((0, height // 3, width, height)).tobytes() if value < 100)  # mode L: a byte a pixel
        assert dark > 200, dark
    laptop.close()
