"""Sessions that bring their user and roles (samdrift/tenancy/sessions.py): one query where there
were three, and every check Django's own sessions and authentication make still holds."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samdrift.tenancy.models import Membership, Session
from samdrift.tenancy.sessions import _parse_roles

PAGE = "/servicedesk/tickets/"  # the agent's list: needs the agent role


def get(client: Any, url: str = PAGE) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, [q["sql"] for q in ctx.captured_queries]


def test_one_query_reads_the_session_its_user_and_the_users_roles(world: Any, web: Any) -> None:
    client = web(world.agent)
    response, queries = get(client)
    assert response.status_code == 200
    assert "tenancy_session" in queries[0] and "tenancy_membership" in queries[0]
    alone = [q for q in queries if q.lstrip().startswith('SELECT "tenancy_user"')]
    assert not alone, alone  # the user is not read again
    roles = [q for q in queries if 'FROM "tenancy_membership"' in q and "tenancy_session" not in q]
    assert not roles, roles  # nor the roles


def test_the_session_row_names_its_user_and_logout_removes_it(world: Any, web: Any) -> None:
    client = web(world.agent)
    key = client.session.session_key
    assert Session.objects.get(session_key=key).user_id == world.agent.pk
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    response, _ = get(client)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_password_changed_elsewhere_ends_the_session(world: Any, web: Any) -> None:
    client = web(world.agent)
    assert get(client)[0].status_code == 200
    world.agent.set_password("ett-nytt-langt-losenord-2026")
    world.agent.save()
    response, _ = get(client)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_deactivated_user_is_signed_out_on_the_next_request(world: Any, web: Any) -> None:
    client = web(world.agent)
    assert get(client)[0].status_code == 200
    type(world.agent).objects.filter(pk=world.agent.pk).update(is_active=False)
    response, _ = get(client)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_role_taken_away_is_gone_on_the_next_request(world: Any, web: Any) -> None:
    from samdrift.core.access import scope_for

    client = web(world.agent)
    response, _ = get(client)
    assert "agent" in scope_for(response.wsgi_request.user).operator_roles
    Membership.objects.filter(user=world.agent).update(active=False)
    response, _ = get(client)
    assert scope_for(response.wsgi_request.user).operator_roles == frozenset()


def test_an_anonymous_visit_and_a_forged_cookie_read_no_user(world: Any, client: Any) -> None:
    response, _ = get(client)
    assert response.status_code == 302
    client.cookies["sessionid"] = "x" * 32
    response, _ = get(client)
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("joined", "expected"),
    [
        (None, []),
        ("", []),
        ("agent:", [("agent", None)]),
        ("agent:,owner_viewer:3,orderer:12", [("agent", None), ("owner_viewer", 3), ("orderer", 12)]),
    ],
)
def test_the_roles_column_is_read_back_as_pairs(joined: Any, expected: Any) -> None:
    assert _parse_roles(joined) == expected


def test_the_user_read_with_the_session_is_the_user_the_orm_reads(world: Any, web: Any) -> None:
    """Same values and types on both databases (SQLite gives datetimes as text, booleans as 0/1)."""
    from samdrift.tenancy.models import User

    client = web(world.agent)
    response, _ = get(client)
    user = response.wsgi_request.user
    fresh = User.objects.get(pk=world.agent.pk)
    for field in User._meta.concrete_fields:
        mine, theirs = getattr(user, field.attname), getattr(fresh, field.attname)
        assert mine == theirs and type(mine) is type(theirs), (field.name, mine, theirs)
    assert user.last_login is not None  # force_login set it: a datetime is compared, not None twice


def test_ending_a_users_sessions_ends_all_of_theirs_and_no_one_elses(world: Any, web: Any) -> None:
    from samdrift.identity.sessions import end_sessions

    laptop, phone, colleague = web(world.agent), web(world.agent), web(world.admin)
    for client in (laptop, phone, colleague):
        assert get(client)[0].status_code == 200
    assert end_sessions(world.agent) == 2
    for client in (laptop, phone):
        response, _ = get(client)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert get(colleague)[0].status_code == 200


def test_expired_sessions_are_cleared_daily_and_live_ones_kept(world: Any, web: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from samdrift.core.scheduling import PERIODIC_TASKS
    from samdrift.tenancy.tasks import clear_expired_sessions

    [periodic] = [p for p in PERIODIC_TASKS if p.task_path == "samdrift.tenancy.tasks.clear_expired_sessions"]
    assert periodic.every == timedelta(hours=24)
    old, live = web(world.agent), web(world.admin)
    Session.objects.filter(session_key=old.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert clear_expired_sessions.call() == {"deleted": 1}
    assert not Session.objects.filter(session_key=old.session.session_key).exists()
    assert Session.objects.filter(session_key=live.session.session_key).exists()
    assert get(live)[0].status_code == 200
