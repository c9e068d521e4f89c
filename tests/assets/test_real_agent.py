"""Debian's real FusionInventory agent (apt package `fusioninventory-agent`) against the live
server: this machine appears in triage, becomes an asset with its facts, and is matched next time.

Deliberately not skipped when the agent is missing: CI must install the package.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from samdrift.assets import inventory
from samdrift.assets.models import InstalledSoftware, InventoryUpload, TriageDevice, UploadStatus


def run_agent(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("fusioninventory-agent")
    assert binary, "fusioninventory-agent is not installed: `apt-get install -y fusioninventory-agent` (Debian 12)"
    conf = tmp_path / "agent.cfg"
    conf.write_text("")
    command = [
        binary,
        "--server",
        url,
        "--tasks=inventory",
        "--no-httpd",
        "--force",
        "--no-category=process,environment",
        "--logger=stderr",
        "--config=file",
        f"--conf-file={conf}",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.agent
@pytest.mark.django_db(transaction=True)
def test_the_real_agent_makes_this_machine_an_asset(world: Any, live_server: Any, tmp_path: Path) -> None:
    url = live_server.url + reverse("inventory_endpoint", args=[world.a.extra["agent_secret"]])
    before = InventoryUpload.objects.count()
    run = run_agent(url, tmp_path)
    assert run.returncode == 0, run.stderr
    uploads = list(InventoryUpload.objects.order_by("id")[before:])
    assert [u.status for u in uploads] == [UploadStatus.PROLOG, UploadStatus.TRIAGE], [u.error for u in uploads]
    device = TriageDevice.objects.get(owner=world.a.owner, device_id=uploads[-1].device_id)

    asset = inventory.do_create_asset_from_triage(
        device, {"asset_tag": "THIS-MACHINE", "model": world.a.extra["asset_model"]}, actor=world.technician
    )
    asset.refresh_from_db()
    assert asset.cpu and asset.memory_mb and asset.os_name
    assert asset.hardware["disks"], "no disks reported"
    assert InstalledSoftware.objects.filter(asset=asset).count() > 10

    run = run_agent(url, tmp_path)
    assert run.returncode == 0, run.stderr
    last = InventoryUpload.objects.order_by("-id").first()
    assert last is not None and last.status == UploadStatus.MATCHED and last.asset_id == asset.pk
    assert TriageDevice.objects.filter(owner=world.a.owner).count() == 2  # the world's device and this one
