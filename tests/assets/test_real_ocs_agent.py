"""Debian's real OCS Inventory agent (apt package `ocsinventory-agent`, 2.10) against the live
server: this machine appears in triage with the facts the OCS format carries (the CPU under
CPUS/TYPE, cores, threads, architecture), becomes an asset and is matched next time.

Debian's /etc/ocsinventory/ocsinventory-agent.cfg sets `local=`, which makes `--server` be ignored:
the agent is run with `--nolocal`, as docs/assets.md tells operators to configure it.
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
    binary = shutil.which("ocsinventory-agent")
    assert binary, "ocsinventory-agent is not installed: `apt-get install -y ocsinventory-agent` (Debian 12)"
    command = [
        binary,
        "--server",
        url,
        "--nolocal",
        "--ssl=0",
        f"--basevardir={tmp_path / 'var'}",
        f"--logfile={tmp_path / 'agent.log'}",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.agent
@pytest.mark.django_db(transaction=True)
def test_the_real_ocs_agent_makes_this_machine_an_asset(world: Any, live_server: Any, tmp_path: Path) -> None:
    url = live_server.url + reverse("inventory_endpoint", args=[world.a.extra["agent_secret"]])
    before = InventoryUpload.objects.count()
    run = run_agent(url, tmp_path)
    log = (tmp_path / "agent.log").read_text() if (tmp_path / "agent.log").exists() else ""
    assert run.returncode == 0, run.stderr + log
    uploads = list(InventoryUpload.objects.order_by("id")[before:])
    assert [u.status for u in uploads] == [UploadStatus.PROLOG, UploadStatus.TRIAGE], [u.error for u in uploads]
    # OCS 2.10 on Linux sends no time of its own (no ACCESSLOG): its uploads are ordered as received.
    device = TriageDevice.objects.get(owner=world.a.owner, device_id=uploads[-1].device_id)

    asset = inventory.do_create_asset_from_triage(
        device, {"asset_tag": "THIS-MACHINE-OCS", "model": world.a.extra["asset_model"]}, actor=world.technician
    )
    asset.refresh_from_db()
    cpu = asset.hardware["cpus"][0]
    assert asset.cpu and asset.cpu == cpu["name"], "OCS reports the CPU under CPUS/TYPE"
    assert cpu["cores"] and cpu["threads"] and cpu["arch"]
    assert asset.hardware["os"]["arch"] and asset.memory_mb and asset.os_name and asset.hostname
    assert asset.hardware["disks"], "no disks reported"
    assert InstalledSoftware.objects.filter(asset=asset).count() > 10

    run = run_agent(url, tmp_path)
    assert run.returncode == 0, run.stderr
    last = InventoryUpload.objects.order_by("-id").first()
    assert last is not None and last.status == UploadStatus.MATCHED and last.asset_id == asset.pk
