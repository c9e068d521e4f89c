"""Database sessions that bring their user and the user's roles along.

Every signed-in request used to begin with three queries: the session, its user (Django's
authentication middleware) and the user's memberships (the scope, `core.access.scope_for`). Here
the session row carries the user's id (`tenancy.Session.user`), and one statement, written once per
process, reads the session, the user and the user's active roles; the user object is handed to
Django's own `get_user`, which checks it exactly as before (the session's auth hash against the
password, an inactive user refused), and the roles to `scope_for`.

Nothing is cached between requests: every request reads all three afresh, as before.
"""

from __future__ import annotations

import contextvars
import functools
from typing import Any

from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from samdrift.core import sqlnames
from samdrift.core.access import PRELOADED_ROLES_ATTR

# The session store of the request whose user Django's get_user is looking up (set only for the
# duration of that call, so nothing carries over to another request).
_LOOKING_UP: contextvars.ContextVar[Any] = contextvars.ContextVar("samdrift_session_lookup", default=None)


class SessionStore(DatabaseSessionStore):
    preloaded_user: Any = None

    @classmethod
    def get_model_class(cls) -> Any:
        from samdrift.tenancy.models import Session

        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        session: Any = super().create_model_instance(data)
        try:
            session.user_id = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            session.user_id = None
        return session

    def load(self) -> dict[str, Any]:
        if not self.session_key:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(_load_sql(connection.vendor), [self.session_key, _now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data, roles, *user_values = row
        if user_values[0] is not None:
            from samdrift.tenancy.models import User

            values = [_convert(i, value) for i, value in enumerate(user_values)]
            user = User.from_db(connection.alias, [f.attname for f in _user_fields()], values)
            setattr(user, PRELOADED_ROLES_ATTR, _parse_roles(roles))
            self.preloaded_user = user
        return self.decode(data)


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _convert(index: int, value: Any) -> Any:
    """The value as the ORM would give it (SQLite hands back datetimes as text, booleans as 0/1)."""
    col, converters = _user_converters(connection.vendor)[index]
    for converter in converters:
        value = converter(value, col, connection)
    return value


@functools.cache
def _user_converters(vendor: str) -> list[tuple[Any, list[Any]]]:
    from samdrift.tenancy.models import User

    found = []
    for field in _user_fields():
        col = field.get_col(User._meta.db_table)
        found.append((col, [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]))
    return found


@functools.cache
def _user_fields() -> tuple[Any, ...]:
    """The user's columns, in the order the session query reads them."""
    from samdrift.tenancy.models import User

    return tuple(User._meta.concrete_fields)


@functools.cache
def _load_sql(vendor: str) -> str:
    from samdrift.tenancy.models import Membership, Session, User

    s, u, m = (functools.partial(sqlnames.column, model) for model in (Session, User, Membership))
    role = f"m.{m('role')} || ':' || COALESCE(CAST(m.{m('owner')} AS TEXT), '')"
    joined = f"string_agg({role}, ',')" if vendor == "postgresql" else f"group_concat({role}, ',')"
    user_columns = ", ".join(f"u.{u(field.name)}" for field in _user_fields())
    return (
        f"SELECT s.{s('session_data')}, "  # noqa: S608 - names from the models
        f"(SELECT {joined} FROM {sqlnames.table(Membership)} m WHERE m.{m('user')} = u.{u('id')} AND m.{m('active')}), "
        f"{user_columns} FROM {sqlnames.table(Session)} s "
        f"LEFT JOIN {sqlnames.table(User)} u ON u.{u('id')} = s.{s('user')} "
        f"WHERE s.{s('session_key')} = %s AND s.{s('expire_date')} > %s"
    )


def _parse_roles(joined: str | None) -> list[tuple[str, int | None]]:
    """'agent:,owner_viewer:3' → [("agent", None), ("owner_viewer", 3)]."""
    roles = []
    for item in (joined or "").split(","):
        if item:
            role, _, owner = item.partition(":")
            roles.append((role, int(owner) if owner else None))
    return roles


class SessionUserBackend(ModelBackend):
    """Django's ModelBackend, which takes the user its session just read instead of reading it again."""

    def get_user(self, user_id: Any) -> Any:
        store = _LOOKING_UP.get()
        user = getattr(store, "preloaded_user", None)
        if user is not None and str(user.pk) == str(user_id):
            return user if self.user_can_authenticate(user) else None
        return super().get_user(user_id)


def _get_user(request: Any) -> Any:
    if not hasattr(request, "_cached_user"):
        token = _LOOKING_UP.set(request.session)
        try:
            request._cached_user = auth.get_user(request)
        finally:
            _LOOKING_UP.reset(token)
    return request._cached_user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with `request.user` looked up through `_get_user` (the session's own user)."""

    def process_request(self, request: Any) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _get_user(request))
