"""Attachments from the UI, saved views of the queue, the report as XLSX and its trend chart,
and the email API (mailboxes never show their password)."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from samdrift.core.models import AuditEvent
from samdrift.servicedesk import saved_views
from samdrift.servicedesk.models import Attachment, Mailbox, SavedView


def test_desk_and_requester_attach_files_with_limits(world: Any, web: Any, settings: Any) -> None:
    ticket = world.a.extra["sd_own_ticket"]  # reported by owner A's end user
    agent, requester = web(world.agent), web(world.a.end_user)
    response = agent.post(
        reverse("sd_ticket_attach", args=[ticket.pk]), {"file": SimpleUploadedFile("logg.txt", b"fel 42", "text/plain")}
    )
    assert response.status_code == 302
    response = requester.post(
        reverse("sd_ticket_attach", args=[ticket.pk]), {"file": SimpleUploadedFile("bild.png", b"\x89PNG", "image/png")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("sd_portal_ticket", args=[ticket.pk])
    names = sorted(Attachment.objects.filter(ticket=ticket).values_list("filename", flat=True))
    assert names == ["bild.png", "logg.txt"]
    settings.SERVICEDESK_ATTACHMENT_MAX_BYTES = 10
    before = Attachment.objects.count()
    for upload in (
        SimpleUploadedFile("stor.bin", b"x" * 11, "application/octet-stream"),
        SimpleUploadedFile("virus.exe", b"MZ", "application/octet-stream"),
    ):
        response = agent.post(reverse("sd_ticket_attach", args=[ticket.pk]), {"file": upload}, follow=True)
        assert "not" in response.content.decode()  # "over the limit" / "not kept"
    assert Attachment.objects.count() == before
    # The requester sees the files on the portal and downloads them; an owner viewer of B cannot.
    page = requester.get(reverse("sd_portal_ticket", args=[ticket.pk])).content.decode()
    assert "logg.txt" in page and "bild.png" in page
    attachment = Attachment.objects.get(filename="logg.txt")
    download = requester.get(reverse("sd_attachment_download", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"fel 42"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert web(world.b.viewer).get(reverse("sd_attachment_download", args=[attachment.pk])).status_code == 404
    # Someone else at owner A who is not the requester cannot add files.
    response = web(world.a.viewer).post(
        reverse("sd_ticket_attach", args=[ticket.pk]), {"file": SimpleUploadedFile("x.txt", b"x", "text/plain")}
    )
    assert response.status_code == 403


def test_saved_views_are_personal_or_shared_within_the_desk(world: Any, web: Any) -> None:
    agent, admin = web(world.agent), web(world.admin)
    response = agent.post(
        reverse("sd_savedview_create"),
        {"name": "Mina P1", "query": "queue=mine&priority=1&cursor=abc&export=csv", "shared": ""},
    )
    assert response.status_code == 302 and response["Location"].endswith("?queue=mine&priority=1")
    mine = SavedView.objects.get(name="Mina P1")
    assert mine.query == "queue=mine&priority=1"
    assert AuditEvent.objects.filter(object_type="servicedesk.savedview", object_id=str(mine.pk)).exists()
    assert "Mina P1" in agent.get(reverse("sd_ticket_list")).content.decode()
    assert "Mina P1" not in admin.get(reverse("sd_ticket_list")).content.decode()
    agent.post(reverse("sd_savedview_create"), {"name": "mina p1", "query": ""})  # same name: refused
    assert SavedView.objects.filter(user=world.agent).count() == 2  # + the world's view
    shared = saved_views.do_save_view(
        {"name": "Alla väntande", "query": "queue=waiting", "shared": True}, actor=world.admin
    )
    page = agent.get(reverse("sd_ticket_list")).content.decode()
    assert "Alla väntande" in page
    # Only the one who saved a view deletes it.
    agent.post(reverse("sd_savedview_delete", args=[shared.pk]))
    assert SavedView.objects.filter(pk=shared.pk).exists()
    agent.post(reverse("sd_savedview_delete", args=[mine.pk]))
    assert not SavedView.objects.filter(pk=mine.pk).exists()
    # Owner users have no saved views at all.
    assert web(world.a.viewer).post(reverse("sd_savedview_create"), {"name": "x"}).status_code == 403
    assert not SavedView.objects.filter(name="x").exists()


def test_report_exports_xlsx_with_charts_and_shows_the_trend(world: Any, web: Any) -> None:
    client = web(world.agent)
    url = reverse("sd_report") + f"?owner={world.a.owner.pk}"
    page = client.get(url).content.decode()
    assert 'id="trend-h"' in page and "trend-table-caption" in page
    response = client.get(url + "&export=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 3
    categories = book.worksheets[1]
    assert [c.value for c in categories[2]][1] >= 1 and categories._charts
    assert book.worksheets[2]._charts and book.worksheets[2].max_row == 13
    assert AuditEvent.objects.filter(object_type="servicedesk.report", extra__format="xlsx").exists()


def test_mailbox_api_never_returns_the_password(world: Any, api: Any) -> None:
    client = api(world.admin)
    mailbox = world.a.extra["sd_mailbox"]
    body = client.get(f"/api/v1/mailboxes/{mailbox.pk}/").json()
    assert "password" not in body and body["username"] == mailbox.username
    response = client.patch(f"/api/v1/mailboxes/{mailbox.pk}/", {"password": "nytt-lösen"}, format="json")
    assert response.status_code == 200 and "password" not in response.json()
    assert Mailbox.objects.get(pk=mailbox.pk).password == "nytt-lösen"
    assert "nytt-lösen" not in _stored_password(mailbox)
    assert api(world.agent).get("/api/v1/mailboxes/").status_code == 200
    assert api(world.agent).patch(f"/api/v1/mailboxes/{mailbox.pk}/", {"port": 1}, format="json").status_code == 403
    assert api(world.a.viewer).get("/api/v1/mailboxes/").json()["results"] == []
    export = web_export(world)
    assert mailbox.password not in export and "nytt-lösen" not in export
    received = client.get("/api/v1/received-email/?status=processed").json()["results"]
    assert {r["subject"] for r in received} >= {f"Datorn startar inte {world.a.marker}"}


def web_export(world: Any) -> str:
    from django.test import Client

    client = Client()
    client.force_login(world.admin)
    return client.get(reverse("sd_mailbox_list") + "?export=csv").content.decode()


def test_received_email_list_has_a_constant_query_count(world: Any, web: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from samdrift.servicedesk import intake

    mailbox = world.a.extra["sd_mailbox"]
    client = web(world.agent)

    def store(start: int, stop: int) -> None:
        for uid in range(start, stop):
            raw = f"From: okand{uid}@example.org\r\nSubject: Brev {uid}\r\n\r\nHej\r\n".encode()
            intake.do_store_inbound_message(mailbox, 7, uid, raw)

    def count(url: str) -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    store(1, 4)
    intake.process_pending(mailbox)
    client.get(reverse("sd_inbound_list"))
    few, _ = count(reverse("sd_inbound_list"))
    store(4, 70)
    intake.process_pending(mailbox)
    many, response = count(reverse("sd_inbound_list"))
    assert many == few and len(response.context["table"].page.object_list) == 50
    failed, _ = count(reverse("sd_inbound_list") + "?attention=true")
    assert failed == few


def _stored_password(mailbox: Mailbox) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM servicedesk_mailbox WHERE id = %s", [mailbox.pk])
        return str(cursor.fetchone()[0])


def test_mailbox_passwords_are_stored_encrypted_and_survive_a_key_rotation(world: Any, settings: Any) -> None:
    from samdrift.servicedesk import intake

    mailbox = world.a.extra["sd_mailbox"]
    intake.do_update_mailbox(mailbox, {"password": "hemligt-lösen-42"}, actor=world.admin)
    stored = _stored_password(mailbox)
    assert stored.startswith("enc1:") and "hemligt" not in stored, "a dump of the database holds no password"
    assert Mailbox.objects.get(pk=mailbox.pk).password == "hemligt-lösen-42"

    # Rotation: a new key first, the old one (here SECRET_KEY) still decrypts; re-saving re-encrypts.
    settings.SAMDRIFT_CREDENTIAL_KEYS = ["ny-nyckel-2027", settings.SECRET_KEY]
    assert Mailbox.objects.get(pk=mailbox.pk).password == "hemligt-lösen-42"
    Mailbox.objects.get(pk=mailbox.pk).save(update_fields=["password"])
    settings.SAMDRIFT_CREDENTIAL_KEYS = ["ny-nyckel-2027"]
    assert Mailbox.objects.get(pk=mailbox.pk).password == "hemligt-lösen-42"


def test_a_password_no_key_can_decrypt_is_reported_and_never_sent(world: Any, settings: Any) -> None:
    from samdrift.core.secrets import undecryptable
    from samdrift.servicedesk import intake

    mailbox = world.a.extra["sd_mailbox"]
    intake.do_update_mailbox(mailbox, {"password": "gammalt"}, actor=world.admin)
    settings.SAMDRIFT_CREDENTIAL_KEYS = ["en-helt-annan-nyckel"]
    loaded = Mailbox.objects.get(pk=mailbox.pk)
    assert undecryptable(loaded.password)
    result = intake.poll_mailbox(loaded)  # the host is never contacted: no password to send
    assert result["error"] == 1
    assert "cannot be decrypted" in Mailbox.objects.get(pk=mailbox.pk).last_error
    intake.do_update_mailbox(loaded, {"password": "nytt"}, actor=world.admin)
    assert Mailbox.objects.get(pk=mailbox.pk).password == "nytt"


def test_passwords_saved_before_encryption_are_encrypted_by_the_migration(world: Any) -> None:
    import importlib

    from django.apps import apps
    from django.db import connection

    mailbox = world.a.extra["sd_mailbox"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE servicedesk_mailbox SET password = %s WHERE id = %s", ["klartext", mailbox.pk])
    assert Mailbox.objects.get(pk=mailbox.pk).password == "klartext", "an old row still reads"
    migration = importlib.import_module("samdrift.servicedesk.migrations.0005_mailbox_password_encrypted")
    migration.encrypt_saved(apps, None)
    assert _stored_password(mailbox).startswith("enc1:")
    assert Mailbox.objects.get(pk=mailbox.pk).password == "klartext"
