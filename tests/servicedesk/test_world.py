from typing import Any


def test_world_has_service_desk_rows(world: Any) -> None:
    ticket = world.b.extra["sd_ticket"]
    assert ticket.number.startswith("SD-")
    assert ticket.owner_id == world.b.owner.pk
