"""A list export larger than SAMDRIFT_EXPORT_MAX_ROWS runs as a job with its progress (issue 15):
the request only starts it, the task writes the same rows the list shows its maker, the job's page
offers the file, and nobody else can see the job or its file."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from samdrift.core import tasks
from samdrift.core.models import AuditEvent, ExportJob, ExportStatus
from samdrift.tenancy.models import Person


@pytest.mark.django_db
def test_a_large_export_runs_as_a_job_and_its_file_is_its_makers(world: Any, web: Any, settings: Any) -> None:
    settings.SAMDRIFT_EXPORT_MAX_ROWS = 2
    owner = world.a.owner
    people = Person.objects.filter(owner=owner)
    assert people.count() > 2
    client = web(world.admin)
    response = client.get(reverse("person_list"), {"owner": owner.pk, "export": "csv"})
    job = ExportJob.objects.get(created_by=world.admin)
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == ExportStatus.QUEUED and job.query == {"owner": [str(owner.pk)], "export": ["csv"]}
    page = client.get(job.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert 'hx-trigger="every 2s"' in page and "i bakgrunden" in page
    assert client.get(reverse("export_download", args=[job.pk])).status_code == 302  # not ready yet

    tasks.run_export.call(job.pk)  # what the worker does
    job.refresh_from_db()
    assert (job.status, job.progress, job.row_count) == (ExportStatus.DONE, 100, people.count())
    fragment = client.get(job.get_absolute_url(), headers={"HX-Request": "true"}, HTTP_ACCEPT_LANGUAGE="sv")
    assert "Ladda ner filen" in fragment.content.decode()
    download = client.get(reverse("export_download", args=[job.pk]))
    text = download.content.decode("utf-8-sig")
    assert download["Content-Disposition"] == 'attachment; filename="person.csv"'
    assert len(text.strip().splitlines()) == people.count() + 1  # the header and the filtered rows
    assert world.b.marker not in text
    assert AuditEvent.objects.filter(event_type="exported", object_type="tenancy.person", extra__job=job.pk).exists()

    # Another user, even an administrator of the same rows, gets the same 404 as for a missing job.
    for other in (world.a.viewer, world.b.viewer):
        assert web(other).get(job.get_absolute_url()).status_code == 404
        assert web(other).get(reverse("export_download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_a_small_export_is_written_at_once(world: Any, web: Any, settings: Any) -> None:
    settings.SAMDRIFT_EXPORT_MAX_ROWS = 100_000
    response = web(world.admin).get(reverse("person_list"), {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert not ExportJob.objects.filter(created_by=world.admin).exists()


@pytest.mark.django_db
def test_an_export_that_fails_says_why(world: Any, web: Any, settings: Any) -> None:
    settings.SAMDRIFT_EXPORT_MAX_ROWS = 1
    client = web(world.admin)
    client.get(reverse("person_list"), {"export": "xlsx"})
    job = ExportJob.objects.get(created_by=world.admin)
    ExportJob.objects.filter(pk=job.pk).update(route="no_such_list")
    tasks.run_export.call(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.message and job.lease_expires is None
    page = client.get(job.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Exporten misslyckades" in page
