"""An import batch holding owner B's org units, so that the isolation test tries the import routes."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from samdrift.tenancy.imports import check_import, do_upload_import


def extend(world: Any) -> None:
    b = world.b
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["ägare", "kod", "namn", "förälder"])
    writer.writerow([b.owner.municipality_code, f"IMP-{b.marker}", f"Importerad {b.marker}", b.admin_unit.code])
    # Kept in memory: the world is built for every test and should leave no files behind.
    with override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}):
        batch = do_upload_import(
            "org_units", SimpleUploadedFile(f"enheter-{b.marker}.csv", buffer.getvalue().encode()), actor=world.admin
        )
        check_import(batch, actor=world.admin)
    b.extra["import_batch"] = batch
