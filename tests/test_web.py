"""The web page end to end: a real `nwbstream serve coordinator` with `web:`, driven in Debian's headless Chromium by
Playwright as a lab would use it, and its HTTP endpoints called directly. Screenshots of every page go to
$NWBSTREAM_ARTIFACTS, else the test's temporary folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
import spikeinterface.extractors as se
import yaml
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.server.client import ConversionClient
from nwbstream.coordinator.web.submission import submission_spec
from playwright import sync_api
from pynwb import NWBHDF5IO

from .certificates import make_pki
from .conftest import ECEPHYS, META_ONLY, START, SUBJECT, write_spikeglx_from_meta
from .conversion_server import CLI, TOKENS, free_port, serving, write_config

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")


LONG = {"folder_path": "long", "stream_id": "imec0.ap"}


class Site(NamedTuple):
    url: str  # the page
    address: str  # the gRPC API
    lab_b_job: str


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One coordinator with its page: lab-a reads the shared ecephys data in place; lab-b has one job of its own."""
    assert CHROMIUM.exists(), f"{CHROMIUM}: missing; `make test` installs Debian's chromium"
    lab_b_root = tmp_path_factory.mktemp("lab-b-root")
    (lab_b_root / "long").mkdir()
    write_spikeglx_from_meta(lab_b_root / "long", META_ONLY / "sample3B_version202304.ap.meta", "imec0.ap", 150_000)
    config = write_config(
        tmp_path_factory.mktemp("coordinator"),
        {"lab-a": ECEPHYS, "lab-b": lab_b_root},
        web=f"127.0.0.1:{free_port()}",
    )
    with serving(config) as running:
        spec = {
            "data_interfaces": {"Recording": "IntanRecordingInterface"},
            "experiments": {"b": {"sessions": [{"nwbfile_name": "lab-b-secret", "source_data": {"Recording": {}}}]}},
        }
        with ConversionClient(running.address, TOKENS["lab-b"]) as lab_b:
            (job,) = lab_b.submit(yaml.safe_dump(spec), "lab-b.yml")
        yield Site(f"http://{yaml.safe_load(config.read_text())['web']}", running.address, job.id)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshot(request, tmp_path):
    folder = Path(os.environ.get("NWBSTREAM_ARTIFACTS", tmp_path)) / "web" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return take


DRAFT = yaml.safe_dump({"data_interfaces": {}, "experiments": {"e": {"sessions": [{"nwbfile_name": "s"}]}}})
SUBMISSION = {"spec_yaml": DRAFT, "metadata": {}, "sources": {"R": {"interface_name": "IntanRecordingInterface"}}}


def call(url: str, path: str, token: str | None, method: str = "GET") -> tuple[int, object]:
    """`path` under /api/ called with `token` (none: no Authorization header): the status and the JSON answer. A
    POST to submit carries a well-formed submission."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    body = json.dumps(SUBMISSION).encode() if path == "submit" else None
    request = urllib.request.Request(f"{url}/api/{path}", data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def sign_in(page, url: str, token: str) -> None:
    page.goto(url)
    page.get_by_label("Lab token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def fill(page, name: str, value: str) -> None:
    """The metadata form's field `metadata[Group][field]`, a text box or a list."""
    field = page.locator(f'[name="metadata[{name.replace(".", "][")}]"]')
    if field.evaluate("element => element.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)
        field.dispatch_event("change")


def test_a_lab_converts_a_folder_from_the_browser(site, page, screenshot, tmp_path):
    url = site.url
    page.goto(url)
    screenshot(page, "1-sign-in")
    sign_in(page, url, TOKENS["lab-a"])
    page.get_by_role("heading", name="Jobs").wait_for()
    screenshot(page, "2-jobs-empty")

    page.get_by_role("link", name="New conversion").click()
    page.get_by_role("button", name="phy/").click()
    page.get_by_role("button", name="template/").click()
    page.get_by_text("spike_times.npy").wait_for()
    screenshot(page, "3-browse")
    page.get_by_role("button", name="Detect this folder").click()
    page.get_by_role("heading", name="2. What was detected").wait_for(timeout=120_000)
    detected = page.locator("[data-source=PhySorting]")
    assert "PhySortingInterface" in detected.inner_text()
    assert "KiloSortSortingInterface" in detected.inner_text()  # the alternative, to choose instead
    assert page.get_by_role("radio", name="PhySortingInterface").is_checked()
    start = page.locator('[name="metadata[NWBFile][session_start_time]"]')
    assert start.evaluate("element => element.type") == "text"  # not datetime-local: the time zone is kept
    assert "*" in page.locator("#metadata-form label.required").first.evaluate(
        "element => getComputedStyle(element, '::after').content"
    )
    screenshot(page, "4-detected")

    assert page.locator('[name="metadata[Subject][sex]"]').input_value() == ""  # to choose, not chosen for the lab
    fill(page, "NWBFile.session_start_time", "2020-01-01T12:00:00")  # no time zone: refused by the form
    for field, value in SUBJECT.items():
        fill(page, f"Subject.{field}", value)
    page.get_by_role("button", name="Submit the conversion").click()
    refused = page.locator("#form-errors").inner_text()
    assert "NWBFile.session_start_time: give the date, the time and the time zone" in refused
    assert "Subject" not in refused
    screenshot(page, "5-form-refused")
    fill(page, "NWBFile.session_start_time", "2020-01-01T12:00:00+01:00")
    page.get_by_role("button", name="Submit the conversion").click()

    page.wait_for_url(re.compile(r"#/jobs/.+"))
    job_id = page.url.rsplit("/", 1)[1]
    page.locator("#job .state-done").wait_for(timeout=240_000)  # pushed by the job's events, no reload
    page.get_by_text("NWB schema (pynwb): 0 error(s)").wait_for()
    page.get_by_role("heading", name="Validation report").scroll_into_view_if_needed()
    for summary in page.locator("#job details summary").all():
        summary.click()
    assert job_id in page.locator("#job dl").inner_text()  # the output location names the job
    screenshot(page, "6-job-done")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download template.nwb").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "template.nwb"
    phy = se.read_phy(ECEPHYS / "phy" / "template")
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        assert nwbfile.session_start_time.isoformat() == "2020-01-01T12:00:00+01:00"
        assert nwbfile.subject.subject_id == SUBJECT["subject_id"]
        units = nwbfile.units
        assert list(units["original_cluster_id"][:]) == list(phy.unit_ids)
        np.testing.assert_array_equal(
            units["spike_times"][0], phy.get_unit_spike_train(phy.unit_ids[0], return_times=True)
        )

    page.get_by_role("link", name="Jobs").click()
    row = page.locator(f'tr[data-job="{job_id}"]')
    assert row.locator(".state").inner_text() == "done"
    screenshot(page, "7-jobs")


def test_the_jobs_page_follows_a_running_job_live(site, page, screenshot):
    url = site.url
    sign_in(page, url, TOKENS["lab-b"])
    page.get_by_role("heading", name="Jobs").wait_for()
    spec = {
        "metadata": START,
        "data_interfaces": {"Recording": "SpikeGLXRecordingInterface"},
        "experiments": {"b": {"sessions": [{"nwbfile_name": "long", "source_data": {"Recording": LONG}}]}},
    }
    with ConversionClient(site.address, TOKENS["lab-b"]) as lab_b:
        (job,) = lab_b.submit(yaml.safe_dump(spec), "long.yml")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="Jobs").click()
    row = page.locator(f'tr[data-job="{job.id}"]')
    assert row.locator(".state").inner_text() in {"queued", "running"}
    row.locator(".state-done").wait_for(timeout=240_000)  # pushed by the job's events
    assert row.locator("progress").evaluate("bar => bar.value === bar.max && bar.max > 0")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "jobs-live")

    page.get_by_role("link", name="lab-b-secret.nwb").click()  # the job with no file to read: failed, in words
    page.locator("#job .state-failed").wait_for()
    assert page.get_by_role("alert").inner_text().startswith("Error: ")
    assert page.get_by_role("progressbar").evaluate("bar => bar.value") == 0
    screenshot(page, "job-failed")


def test_a_wrong_token_sees_nothing(site, page, screenshot):
    page.goto(site.url)
    assert page.evaluate("document.activeElement.id") == "token"  # the keyboard starts in the token field
    page.keyboard.type("not-a-lab-token")
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == "the token is not a lab's"
    assert page.locator("#nav").is_hidden() and page.locator("table").count() == 0
    assert page.evaluate("sessionStorage.getItem('nwbstream-token')") is None
    screenshot(page, "wrong-token")


def test_another_labs_jobs_are_invisible_on_the_page_and_through_the_api(site, page, screenshot):
    url, lab_b_job = site.url, site.lab_b_job
    sign_in(page, url, TOKENS["lab-a"])
    page.get_by_role("heading", name="Jobs").wait_for()
    assert page.locator(f'[data-job="{lab_b_job}"]').count() == 0
    assert "lab-b-secret" not in page.content()
    page.goto(f"{url}/#/jobs/{lab_b_job}")
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text() == f"no job {lab_b_job}"
    screenshot(page, "other-lab-job")

    status, jobs = call(url, "jobs", TOKENS["lab-a"])
    assert status == 200 and lab_b_job not in {job["id"] for job in jobs}
    for path, method in [(f"jobs/{lab_b_job}", "GET"), (f"jobs/{lab_b_job}/events", "GET"),
                         (f"jobs/{lab_b_job}/download", "GET"), (f"jobs/{lab_b_job}/cancel", "POST")]:  # fmt: skip
        assert call(url, path, TOKENS["lab-a"], method) == (404, {"error": f"no job {lab_b_job}"}), path
    status, job = call(url, f"jobs/{lab_b_job}", TOKENS["lab-b"])
    assert status == 200 and job["nwbfile_name"] == "lab-b-secret.nwb"


@pytest.mark.parametrize(
    "path, method",
    [("jobs", "GET"), ("jobs/x", "GET"), ("jobs/x/events", "GET"), ("jobs/x/cancel", "POST"),
     ("jobs/x/download", "GET"), ("browse?folder=", "GET"), ("detect?folder=phy/template", "GET"),
     ("submit", "POST"), ("anything", "GET")],
)  # fmt: skip
def test_the_api_refuses_a_request_without_a_lab_token(site, path, method):
    url = site.url
    assert call(url, path, None, method)[0] == 401
    assert call(url, path, "", method)[0] == 401
    if path != "anything":
        assert call(url, path, "not-a-lab-token", method) == (401, {"error": "the token is not a lab's"})


def test_browse_and_detect_stay_inside_the_lab_root(site):
    url = site.url
    status, listing = call(url, "browse?folder=phy", TOKENS["lab-a"])
    assert status == 200 and listing["folder"] == "phy"
    assert {"name": "template", "is_folder": True, "size": 0} in listing["entries"]
    for path in ("browse?folder=..", "browse?folder=/etc", "detect?folder=phy/../.."):
        status, answer = call(url, path, TOKENS["lab-a"])
        assert status == 400 and answer["error"].endswith("not inside the lab's data root"), path
        assert str(ECEPHYS) not in answer["error"]


def test_the_page_is_https_with_the_coordinators_certificate_and_plaintext_only_on_loopback(tmp_path):
    pki = make_pki(tmp_path / "pki")
    tls = {"cert": str(pki.server_cert), "key": str(pki.server_key)}
    web = f"127.0.0.1:{free_port()}"
    with serving(write_config(tmp_path, {"lab-a": ECEPHYS}, tls=tls, web=web)):
        trusted = ssl.create_default_context(cafile=str(pki.ca))
        request = urllib.request.Request(f"https://{web}/api/jobs", headers={"Authorization": "Bearer token-of-lab-a"})
        with urllib.request.urlopen(request, timeout=60, context=trusted) as response:
            assert (response.status, json.loads(response.read())) == (200, [])
        with pytest.raises(ConnectionError):  # plaintext to the HTTPS port: the TLS server hangs up
            urllib.request.urlopen(f"http://{web}/api/jobs", timeout=10)
    plaintext = write_config(tmp_path / "open", {"lab-a": ECEPHYS}, web=f"0.0.0.0:{free_port()}")
    refused = subprocess.run([*CLI, "serve", "coordinator", "--config", str(plaintext)], capture_output=True, text=True)
    assert refused.returncode != 0
    assert "plaintext is allowed on loopback only" in refused.stderr and "web 0.0.0.0:" in refused.stderr


DRAFTED = """# Drafted by `nwbstream detect` from phy/template.
data_interfaces:
  PhySorting: PhySortingInterface
  Recording: SpikeGLXRecordingInterface
experiments:
  experiment:
    sessions:
    - nwbfile_name: template
      source_data:
        PhySorting: {folder_path: phy/template}
        Recording: {file_path: phy/template/x.ap.bin}
      metadata:
        NWBFile: {session_start_time: null}
"""


def test_the_submitted_spec_is_the_draft_with_the_forms_metadata_and_the_chosen_sources():
    metadata = {"NWBFile": {"session_start_time": "2020-01-01T12:00:00+01:00"}, "Subject": SUBJECT}
    kilosort = {"interface_name": "KiloSortSortingInterface", "source_data": {"folder_path": "phy/template"}}
    spec = yaml.safe_load(submission_spec(DRAFTED, metadata, {"PhySorting": kilosort}))
    assert spec["data_interfaces"] == {"PhySorting": "KiloSortSortingInterface"}  # the alternative; no Recording
    (session,) = spec["experiments"]["experiment"]["sessions"]
    assert session == {"nwbfile_name": "template", "source_data": {"PhySorting": {"folder_path": "phy/template"}},
                       "metadata": metadata}  # fmt: skip
    with pytest.raises(ConversionError, match="no source chosen"):
        submission_spec(DRAFTED, metadata, {})
    with pytest.raises(ConversionError, match="source PhySorting: give its interface_name"):
        submission_spec(DRAFTED, metadata, {"PhySorting": {"source_data": {}}})
    with pytest.raises(ConversionError, match="not a spec Detect wrote"):
        submission_spec("just text", metadata, {"PhySorting": kilosort})
