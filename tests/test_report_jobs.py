"""Item 10 of issue 10: the report decks are made off the request path, once per change of the data
for everyone who sees the same, and what is left to ask for is rate-limited."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pptx import Presentation

from stratmap.access import access_for
from stratmap.kpis.models import KpiResult
from stratmap.kpis.services import kpi_result_transition
from stratmap.reports import jobs
from stratmap.reports.models import ReportFile

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DECK = reverse("web:report-pptx", args=["taipei", "108"]) + "?theme=D"
PDF = reverse("web:report-pdf", args=["taipei", "108"])
#: The same in English, whose addresses write the AD year.
EN_DECK, EN_PDF = "/en" + DECK.replace("/108/", "/2019/"), "/en" + PDF.replace("/108/", "/2019/")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def deck_text(response) -> str:
    deck = Presentation(io.BytesIO(body(response)))
    return "\n".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)


@pytest.fixture
def renders(monkeypatch):
    """The renderings the worker does, counted."""
    done: list[int] = []
    render = jobs._render

    def counted(job, access):
        done.append(job.pk)
        return render(job, access)

    monkeypatch.setattr(jobs, "_render", counted)
    return done


def test_asking_for_the_pdf_renders_nothing_in_the_request_and_offers_to_prepare_it(demo, client, monkeypatch):
    monkeypatch.setattr(jobs, "_render", lambda job, access: pytest.fail("rendered in the request"))
    response = client.get(PDF)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'data-state="none"' in page and f'<form method="post" action="{PDF}">' in page
    assert "csrfmiddlewaretoken" in page
    assert not ReportFile.objects.exists()


def test_a_prepared_deck_is_queued_and_its_page_follows_it_until_the_worker_makes_it(
    transactional_db, demo, client, settings
):
    """With the real database backend and worker (committed rows: the worker manages its connection)."""
    settings.TASKS = DATABASE_BACKEND  # queued in the database; no worker runs until we run it
    response = client.post(DECK)
    assert response.status_code == 303 and response["Location"] == DECK
    page = client.get(DECK).content.decode()
    assert 'data-state="queued"' in page and f'hx-get="{DECK}"' in page and 'hx-trigger="every 2s"' in page

    call_command("worker", "--batch", "--no-startup-delay", "--nice", "0", stdout=io.StringIO(), stderr=io.StringIO())

    polled = client.get(DECK, HTTP_HX_REQUEST="true")
    assert 'data-state="ready"' in polled.content.decode() and "hx-get" not in polled.content.decode()
    response = client.get(DECK)
    assert response["Content-Type"] == jobs.MEDIA_TYPES["pptx"]
    assert response["Content-Disposition"] == 'attachment; filename="taipei-2019-D-report.pptx"'
    assert "職業災害死亡百萬人率" in deck_text(response)


def test_the_publics_deck_is_made_once_per_language_and_served_to_every_anonymous_client(demo, client):
    assert client.post(DECK).status_code == 303
    assert client.post(EN_DECK).status_code == 303
    first, english = body(client.get(DECK)), body(client.get(EN_DECK))
    assert first[:2] == english[:2] == b"PK" and first != english  # the English deck is a file of its own
    for url, made in ((DECK, first), (EN_DECK, english)):
        other = Client().get(url)  # another visitor asks without preparing anything
        assert other["Content-Type"] == jobs.MEDIA_TYPES["pptx"] and body(other) == made
    assert sorted(ReportFile.objects.values_list("language", flat=True)) == ["en", "zh-hant"]


def test_preparing_a_ready_deck_again_renders_nothing(demo, client, renders):
    client.post(DECK)
    client.post(DECK)
    client.post(EN_DECK)
    client.post(EN_DECK)
    assert len(renders) == 2  # one a language


def test_a_change_of_the_data_makes_the_old_deck_unservable_and_the_next_one_shows_it(demo, client, people, renders):
    client.post(DECK)
    assert "85.1%" in deck_text(client.get(DECK))
    result = KpiResult.objects.get(kpi__code="DP5.1", year=2019)
    kpi_result_transition(
        access=access_for(people["admin"]), result=result, action="reopen", version=result.version, text="recount"
    )
    page = client.get(DECK)
    assert 'data-state="none"' in page.content.decode()  # not the file made before the change
    client.post(DECK)
    assert "85.1%" not in deck_text(client.get(DECK))
    assert len(renders) == 2
    assert ReportFile.objects.count() == 1  # the obsolete file is gone with its row
    assert len(list(jobs.file_path(ReportFile.objects.get()).parent.glob("*.pptx"))) >= 1


def test_an_insiders_deck_is_never_served_to_the_public(demo, client, people):
    KpiResult.objects.filter(kpi__code="DP5.1", year=2019).update(status=KpiResult.Status.DRAFT)
    client.force_login(people["viewer"])
    client.post(DECK)
    inside = client.get(DECK)
    assert "85.1%" in deck_text(inside)
    client.logout()
    assert 'data-state="none"' in client.get(DECK).content.decode()
    client.post(DECK)
    assert "85.1%" not in deck_text(client.get(DECK))
    assert sorted(ReportFile.objects.values_list("scope", flat=True))[-1] == "public"
    assert ReportFile.objects.count() == 2


def test_prepare_requests_beyond_the_limit_from_one_address_answer_429_with_a_clear_message(demo, client, settings):
    settings.TASKS = DATABASE_BACKEND  # queue only: this is about asking
    settings.REPORT_PREPARES_PER_MINUTE = 2
    for _ in range(2):
        assert client.post(PDF, REMOTE_ADDR="203.0.113.5").status_code == 303
    refused = client.post(PDF, REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429
    assert "每分鐘最多 2 個" in refused.content.decode()
    english = client.post(EN_PDF, REMOTE_ADDR="203.0.113.5")
    assert english.status_code == 429 and "at most 2 a minute" in english.content.decode()
    assert client.post(PDF, REMOTE_ADDR="198.51.100.7").status_code == 303  # another address is not held back


def test_behind_a_trusted_proxy_the_limit_counts_the_forwarded_client_address(demo, client, settings):
    settings.TASKS = DATABASE_BACKEND
    settings.REPORT_PREPARES_PER_MINUTE = 1
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.post(PDF, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 303
    assert client.post(PDF, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 303
    # A client's own X-Forwarded-For entry (left of the proxy's) changes nothing.
    assert client.post(PDF, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5", **proxy).status_code == 429


def test_a_full_queue_refuses_new_jobs_with_503(demo, client, settings):
    settings.TASKS = DATABASE_BACKEND
    settings.REPORT_QUEUE_LIMIT = 1
    assert client.post(PDF).status_code == 303
    busy = client.post(EN_DECK)
    assert busy.status_code == 503 and "Try again in a few minutes" in busy.content.decode()


def test_a_failed_rendering_says_so_without_a_traceback_and_can_be_tried_again(demo, client, monkeypatch):
    render = jobs._render

    def broken(job, access):
        raise RuntimeError("fonts missing")

    monkeypatch.setattr(jobs, "_render", broken)
    client.post(DECK)
    page = client.get(DECK).content.decode()
    assert 'data-state="failed"' in page and "檔案無法製作" in page and "再試一次" in page
    assert "fonts missing" not in page and "Traceback" not in page
    assert ReportFile.objects.get().error == "RuntimeError: fonts missing"  # kept for the administrator
    monkeypatch.setattr(jobs, "_render", render)
    client.post(DECK)
    assert body(client.get(DECK))[:2] == b"PK"


def test_a_job_no_worker_takes_says_the_worker_should_be_checked(demo, client, settings):
    settings.TASKS = DATABASE_BACKEND
    client.post(DECK)
    ReportFile.objects.update(requested_at=timezone.now() - timedelta(hours=1))
    page = client.get(DECK).content.decode()
    assert 'data-state="waiting"' in page and "stratmap worker" in page


def test_asking_again_for_a_job_no_worker_took_queues_it_anew(demo, client, settings):
    settings.TASKS = DATABASE_BACKEND
    client.post(EN_DECK)
    ReportFile.objects.update(requested_at=timezone.now() - timedelta(hours=1))
    assert "Try again" in client.get(EN_DECK).content.decode()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # a worker now
    client.post(EN_DECK)
    assert body(client.get(EN_DECK))[:2] == b"PK"


def test_a_deck_whose_file_is_gone_is_offered_again(demo, client):
    client.post(DECK)
    jobs.file_path(ReportFile.objects.get()).unlink()
    assert 'data-state="failed"' in client.get(DECK).content.decode()
    client.post(DECK)
    assert body(client.get(DECK))[:2] == b"PK"


def test_an_unknown_theme_is_a_404_whether_asked_or_prepared(demo, client):
    url = reverse("web:report-pdf", args=["taipei", "108"]) + "?theme=Q"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not ReportFile.objects.exists()
