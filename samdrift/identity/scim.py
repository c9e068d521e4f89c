"""SCIM 2.0 provisioning (RFC 7643 and 7644) as Microsoft Entra ID sends it: /scim/v2/Users, /Groups.

One owner per token (`Authorization: Bearer …`, samdrift.identity.models.ScimToken). Users become
the owner's people and users; groups give the roles the owner's role mappings name. Every write is
an action in samdrift.identity.actions, audited in the role `scim`. Entra ID's own forms are
accepted: capitalised ops ("Replace"), "True"/"False" as strings, a PATCH without a path whose value
is an object, and `members[value eq "…"]` in a Remove.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from samdrift.identity import actions
from samdrift.identity.actions import ScimConflict, ScimUser
from samdrift.identity.models import DirectoryAccount, DirectoryGroup, ScimToken

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CONTENT_TYPE = "application/scim+json"
MAX_PAGE = 200
MAX_BODY = 1024 * 1024


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def scim_response(data: Any, status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def error_response(status: int, detail: str, scim_type: str = "") -> HttpResponse:
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    response = scim_response(body, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def authenticate(request: HttpRequest) -> ScimToken:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    token = actions.token_for(value.strip()) if scheme.lower() == "bearer" and value.strip() else None
    if token is None:
        raise ScimError(401, "A valid bearer token is required.")
    return token


def read_body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY:
        raise ScimError(413, "The request body is too large.")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScimError(400, "The body is not valid JSON.", "invalidSyntax") from exc
    if not isinstance(data, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    return data


# --- case-insensitive attribute access (RFC 7643 2.1: attribute names are case-insensitive) ---


def _ci_key(data: dict[str, Any], name: str) -> str | None:
    lowered = name.lower()
    for key in data:
        if key.lower() == lowered:
            return key
    return None


def ci_get(data: Any, name: str, default: Any = None) -> Any:
    if not isinstance(data, dict):
        return default
    key = _ci_key(data, name)
    return data[key] if key is not None else default


def as_bool(value: Any, default: bool = True) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    if value is None:
        return default
    raise ScimError(400, f"Not a boolean: {value!r}", "invalidValue")


def as_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise ScimError(400, "A single value was expected.", "invalidValue")
    return str(value).strip()


def _pick(items: Any, wanted_type: str = "work") -> str:
    """The value of the primary (or the `work`, or the first) item of a multi-valued attribute."""
    if not isinstance(items, list) or not items:
        return ""
    items = [i for i in items if isinstance(i, dict)]
    for test in (
        lambda i: as_bool(ci_get(i, "primary"), False),
        lambda i: ci_get(i, "type") == wanted_type,
        lambda i: True,
    ):
        for item in items:
            if test(item):
                return as_str(ci_get(item, "value"))
    return ""


# --- users -----------------------------------------------------------------------------------


def user_resource(request: HttpRequest, account: DirectoryAccount) -> dict[str, Any]:
    user = account.user
    person = user.person
    location = request.build_absolute_uri(reverse("scim_user", args=[account.scim_id]))
    resource: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE],
        "id": str(account.scim_id),
        "externalId": account.external_id or None,
        "userName": account.user_name,
        "name": {"givenName": person.first_name if person else user.first_name,
                 "familyName": person.last_name if person else user.last_name,
                 "formatted": f"{person.first_name} {person.last_name}" if person else user.get_full_name()},
        "displayName": f"{person.first_name} {person.last_name}" if person else user.get_full_name(),
        "active": account.active,
        "emails": [{"value": user.email, "type": "work", "primary": True}] if user.email else [],
        "groups": [{"value": str(g.scim_id), "display": g.display_name, "$ref": request.build_absolute_uri(reverse("scim_group", args=[g.scim_id]))}
                   for g in account.groups.all()],
        "meta": {"resourceType": "User", "created": account.created.isoformat(), "lastModified": account.updated.isoformat(),
                 "location": location},
    }  # fmt: skip
    if person is not None:
        if person.title:
            resource["title"] = person.title
        if person.phone:
            resource["phoneNumbers"] = [{"value": person.phone, "type": "work"}]
        resource[ENTERPRISE] = {"employeeNumber": person.external_id}
    if resource["externalId"] is None:
        del resource["externalId"]
    return resource


def user_from_resource(data: dict[str, Any]) -> ScimUser:
    name = ci_get(data, "name") or {}
    enterprise = ci_get(data, ENTERPRISE) or {}
    given, family = as_str(ci_get(name, "givenName")), as_str(ci_get(name, "familyName"))
    if not (given or family):  # Entra ID may send only displayName
        parts = as_str(ci_get(data, "displayName")).split(" ", 1)
        given, family = parts[0], parts[1] if len(parts) > 1 else ""
    return ScimUser(
        user_name=as_str(ci_get(data, "userName")),
        external_id=as_str(ci_get(data, "externalId")),
        active=as_bool(ci_get(data, "active"), True),
        given_name=given,
        family_name=family,
        email=_pick(ci_get(data, "emails")),
        employee_number=as_str(ci_get(enterprise, "employeeNumber")),
        title=as_str(ci_get(data, "title")),
        phone=_pick(ci_get(data, "phoneNumbers")),
    )


_FILTER = re.compile(r'^\s*([A-Za-z][\w.:]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


def parse_filter(expression: str, allowed: dict[str, str]) -> tuple[str, str] | None:
    """Only `<attribute> eq "<value>"` is supported (what Entra ID sends); anything else is a 400."""
    if not expression:
        return None
    match = _FILTER.match(expression)
    if not match or match.group(1).lower() not in allowed:
        raise ScimError(400, f"Unsupported filter: {expression}", "invalidFilter")
    return allowed[match.group(1).lower()], match.group(2).replace('\\"', '"')


def paging(request: HttpRequest) -> tuple[int, int]:
    try:
        start = max(1, int(request.GET.get("startIndex", "1")))
        count = min(MAX_PAGE, max(0, int(request.GET.get("count", str(MAX_PAGE)))))
    except ValueError as exc:
        raise ScimError(400, "startIndex and count must be integers.", "invalidValue") from exc
    return start, count


def list_response(request: HttpRequest, qs: QuerySet, render: Any) -> HttpResponse:
    start, count = paging(request)
    total = qs.count()
    page = list(qs[start - 1 : start - 1 + count]) if count else []
    return scim_response(
        {"schemas": [LIST], "totalResults": total, "startIndex": start, "itemsPerPage": len(page),
         "Resources": [render(obj) for obj in page]}
    )  # fmt: skip


def _accounts(token: ScimToken) -> QuerySet[DirectoryAccount]:
    return (
        DirectoryAccount.objects.filter(owner_id=token.owner_id)
        .exclude(user_name__startswith="removed-", active=False)
        .select_related("user__person")
        .prefetch_related(Prefetch("groups", queryset=DirectoryGroup.objects.order_by("display_name")))
        .order_by("id")
    )


def _account(token: ScimToken, scim_id: str) -> DirectoryAccount:
    try:
        account = _accounts(token).filter(scim_id=scim_id).first()
    except ValidationError:
        account = None
    if account is None:
        raise ScimError(404, "No such user.")
    return account


def _run(action: Any, *args: Any) -> Any:
    try:
        return action(*args)
    except ScimConflict as exc:
        raise ScimError(409, f"{exc} is already taken.", "uniqueness") from exc
    except ValidationError as exc:
        raise ScimError(400, " ".join(exc.messages), "invalidValue") from exc


def _split_path(path: str) -> tuple[str | None, str, str | None, str | None]:
    """`emails[type eq "work"].value` → (None, 'emails', filter, 'value'); an URN prefix → its schema."""
    schema = None
    if path.lower().startswith("urn:"):
        schema, _, path = path.rpartition(":")
    match = re.match(r"^([\w$]+)(?:\[(.*)\])?(?:\.([\w$]+))?$", path)
    if not match:
        raise ScimError(400, f"Unsupported path: {path}", "invalidPath")
    return schema, match.group(1), match.group(2), match.group(3)


def _filter_matches(item: Any, expression: str) -> bool:
    match = _FILTER.match(expression)
    if not match:
        raise ScimError(400, f"Unsupported filter: {expression}", "invalidFilter")
    return isinstance(item, dict) and as_str(ci_get(item, match.group(1))).lower() == match.group(2).lower()


def apply_patch(resource: dict[str, Any], body: dict[str, Any], on_path: Any = None) -> dict[str, Any]:
    """Apply PatchOp operations to a resource held as a dict (RFC 7644 3.5.2)."""
    operations = ci_get(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations are required.", "invalidSyntax")
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "An operation must be an object.", "invalidSyntax")
        op = as_str(ci_get(operation, "op")).lower()
        path = as_str(ci_get(operation, "path"))
        value = ci_get(operation, "value")
        if op not in {"add", "replace", "remove"}:
            raise ScimError(400, f"Unknown op: {op}", "invalidSyntax")
        if on_path is not None and on_path(resource, op, path, value):
            continue
        if not path:
            if op == "remove" or not isinstance(value, dict):
                raise ScimError(400, "Without a path the value must be an object.", "noTarget")
            for key, item in value.items():
                _set(resource, key, item, op)
            continue
        if op == "remove":
            _remove(resource, path)
        else:
            _set(resource, path, value, op)
    return resource


def _container(resource: dict[str, Any], schema: str | None) -> dict[str, Any]:
    if schema is None:
        return resource
    key = _ci_key(resource, schema) or schema
    resource.setdefault(key, {})
    return resource[key]


def _set(resource: dict[str, Any], path: str, value: Any, op: str) -> None:
    if (
        path.lower().startswith("urn:")
        and ":" in path
        and _ci_key(resource, path) is not None
        and isinstance(value, dict)
    ):
        _container(resource, path).update(value)  # the whole extension object
        return
    schema, attr, filt, sub = _split_path(path)
    target = _container(resource, schema)
    key = _ci_key(target, attr) or attr
    if filt is not None:
        items = target.setdefault(key, [])
        if not isinstance(items, list):
            items = target[key] = []
        matching = [i for i in items if _filter_matches(i, filt)]
        if not matching:
            fm = _FILTER.match(filt)
            new = {fm.group(1): fm.group(2)} if fm else {}
            items.append(new)
            matching = [new]
        for item in matching:
            if sub:
                item[_ci_key(item, sub) or sub] = value
            elif isinstance(value, dict):
                item.update(value)
        return
    if sub:
        inner = target.setdefault(key, {})
        if not isinstance(inner, dict):
            inner = target[key] = {}
        inner[_ci_key(inner, sub) or sub] = value
        return
    if isinstance(value, dict) and isinstance(target.get(key), dict):
        target[key].update(value)
    elif op == "add" and isinstance(target.get(key), list) and isinstance(value, list):
        target[key].extend(value)
    else:
        target[key] = value


def _remove(resource: dict[str, Any], path: str) -> None:
    schema, attr, filt, sub = _split_path(path)
    target = _container(resource, schema)
    key = _ci_key(target, attr)
    if key is None:
        return
    if filt is not None and isinstance(target[key], list):
        if sub:
            for item in target[key]:
                if _filter_matches(item, filt) and _ci_key(item, sub):
                    del item[_ci_key(item, sub)]
        else:
            target[key] = [i for i in target[key] if not _filter_matches(i, filt)]
    elif sub and isinstance(target[key], dict):
        inner_key = _ci_key(target[key], sub)
        if inner_key:
            del target[key][inner_key]
    else:
        del target[key]


def _scim_view(handler: Any) -> Any:
    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            token = authenticate(request)
            return handler(request, token, *args, **kwargs)
        except ScimError as exc:
            return error_response(exc.status, exc.detail, exc.scim_type)

    view.__name__ = handler.__name__
    view.__doc__ = handler.__doc__
    return view


@_scim_view
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    """GET: the owner's users (filter userName/externalId eq); POST: create one (409 if it exists)."""
    if request.method == "GET":
        qs = _accounts(token)
        found = parse_filter(
            request.GET.get("filter", ""),
            {"username": "user_name__iexact", "externalid": "external_id", "id": "scim_id"},
        )
        if found:
            try:
                qs = qs.filter(**{found[0]: found[1]})
            except ValidationError:
                qs = qs.none()
        return list_response(request, qs, lambda a: user_resource(request, a))
    if request.method != "POST":
        raise ScimError(405, "Method not allowed.")
    data = user_from_resource(read_body(request))
    account = _run(actions.do_scim_create_user, token, data)
    account = _account(token, str(account.scim_id))
    resource = user_resource(request, account)
    return scim_response(resource, 201, resource["meta"]["location"])


@_scim_view
def user(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    """GET, PUT (replace), PATCH (PatchOp) or DELETE one user of the token's owner."""
    account = _account(token, scim_id)
    if request.method == "GET":
        return scim_response(user_resource(request, account))
    if request.method == "DELETE":
        actions.do_scim_delete_user(token, account)
        return HttpResponse(status=204)
    if request.method == "PUT":
        data = user_from_resource(read_body(request))
    elif request.method == "PATCH":
        data = user_from_resource(apply_patch(user_resource(request, account), read_body(request)))
    else:
        raise ScimError(405, "Method not allowed.")
    _run(actions.do_scim_update_user, token, account, data)
    return scim_response(user_resource(request, _account(token, scim_id)))


# --- groups ----------------------------------------------------------------------------------


def _groups(token: ScimToken) -> QuerySet[DirectoryGroup]:
    return DirectoryGroup.objects.filter(owner_id=token.owner_id).order_by("id")


def group_resource(request: HttpRequest, group: DirectoryGroup, with_members: bool = True) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [CORE_GROUP],
        "id": str(group.scim_id),
        "displayName": group.display_name,
        "meta": {"resourceType": "Group", "created": group.created.isoformat(), "lastModified": group.updated.isoformat(),
                 "location": request.build_absolute_uri(reverse("scim_group", args=[group.scim_id]))},
    }  # fmt: skip
    if group.external_id:
        resource["externalId"] = group.external_id
    if with_members:
        resource["members"] = [{"value": str(a.scim_id), "display": a.user_name} for a in group.members.all()]
    return resource


def _member_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    return [as_str(ci_get(item, "value")) if isinstance(item, dict) else as_str(item) for item in value]


def _group(token: ScimToken, scim_id: str) -> DirectoryGroup:
    try:
        group = _groups(token).filter(scim_id=scim_id).first()
    except ValidationError:
        group = None
    if group is None:
        raise ScimError(404, "No such group.")
    return group


def _excluded(request: HttpRequest) -> bool:
    return "members" in {a.strip().lower() for a in request.GET.get("excludedAttributes", "").split(",")}


@_scim_view
def groups(request: HttpRequest, token: ScimToken) -> HttpResponse:
    """GET: the owner's groups (filter displayName/externalId eq); POST: create one."""
    if request.method == "GET":
        qs = _groups(token).prefetch_related("members")
        found = parse_filter(
            request.GET.get("filter", ""), {"displayname": "display_name", "externalid": "external_id", "id": "scim_id"}
        )
        if found:
            try:
                qs = qs.filter(**{found[0]: found[1]})
            except ValidationError:
                qs = qs.none()
        with_members = not _excluded(request)
        return list_response(request, qs, lambda g: group_resource(request, g, with_members))
    if request.method != "POST":
        raise ScimError(405, "Method not allowed.")
    body = read_body(request)
    group = _run(actions.do_scim_create_group, token, as_str(ci_get(body, "displayName")),
                 as_str(ci_get(body, "externalId")), _member_ids(ci_get(body, "members")))  # fmt: skip
    resource = group_resource(request, group)
    return scim_response(resource, 201, resource["meta"]["location"])


@_scim_view
def group(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    """GET, PUT, PATCH (members Add/Remove/Replace, displayName) or DELETE one group."""
    group = _group(token, scim_id)
    if request.method == "GET":
        return scim_response(group_resource(request, group, not _excluded(request)))
    if request.method == "DELETE":
        actions.do_scim_delete_group(token, group)
        return HttpResponse(status=204)
    if request.method == "PUT":
        body = read_body(request)
        _run(actions.do_scim_update_group, token, group, as_str(ci_get(body, "displayName")),
             as_str(ci_get(body, "externalId")), _member_ids(ci_get(body, "members")))  # fmt: skip
    elif request.method == "PATCH":
        members = [str(a.scim_id) for a in group.members.all()]
        resource = group_resource(request, group, with_members=False)

        def on_members(resource: dict[str, Any], op: str, path: str, value: Any) -> bool:
            nonlocal members
            lowered = path.lower()
            if not lowered.startswith("members") and not (
                not path and isinstance(value, dict) and ci_get(value, "members") is not None
            ):
                return False
            if not path:  # {"op": "replace", "value": {"members": [...], "displayName": ...}}
                ids = _member_ids(ci_get(value, "members"))
                members = ids if op == "replace" else [*members, *[i for i in ids if i not in members]]
                rest = {k: v for k, v in value.items() if k.lower() != "members"}
                for key, item in rest.items():
                    _set(resource, key, item, op)
                return True
            match = re.match(r'^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$', path, re.IGNORECASE)
            if op == "remove":
                drop = {match.group(1)} if match else set(_member_ids(value)) if value is not None else set(members)
                members = [m for m in members if m not in drop]
            elif op == "add":
                members = [*members, *[i for i in _member_ids(value) if i not in members]]
            else:
                members = _member_ids(value)
            return True

        apply_patch(resource, read_body(request), on_path=on_members)
        _run(actions.do_scim_update_group, token, group, as_str(ci_get(resource, "displayName")),
             as_str(ci_get(resource, "externalId")), members)  # fmt: skip
    else:
        raise ScimError(405, "Method not allowed.")
    if request.method == "PATCH":
        return HttpResponse(status=204)  # RFC 7644 3.5.2: 204 when the resource is not returned
    return scim_response(group_resource(request, _group(token, scim_id)))


# --- discovery (RFC 7644 4) -------------------------------------------------------------------


@_scim_view
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return scim_response({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/samdrift/samdrift/blob/main/docs/identity.md",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_PAGE},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer token", "primary": True,
                                   "description": "A SCIM token an administrator created for one owner."}],
        "meta": {"resourceType": "ServiceProviderConfig", "location": request.build_absolute_uri()},
    })  # fmt: skip


@_scim_view
def resource_types(request: HttpRequest, token: ScimToken) -> HttpResponse:
    types = [
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User", "name": "User",
         "endpoint": "/Users", "schema": CORE_USER, "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
         "meta": {"resourceType": "ResourceType"}},
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "Group", "name": "Group",
         "endpoint": "/Groups", "schema": CORE_GROUP, "meta": {"resourceType": "ResourceType"}},
    ]  # fmt: skip
    return scim_response({"schemas": [LIST], "totalResults": 2, "startIndex": 1, "itemsPerPage": 2, "Resources": types})


def _attribute(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "multiValued": False, "required": False, "caseExact": False,
            "mutability": "readWrite", "returned": "default", "uniqueness": "none", **extra}  # fmt: skip


@_scim_view
def schemas(request: HttpRequest, token: ScimToken) -> HttpResponse:
    found: list[dict[str, Any]] = [
        {"id": CORE_USER, "name": "User", "attributes": [
            _attribute("userName", required=True, uniqueness="server"), _attribute("externalId"),
            _attribute("name", "complex", subAttributes=[_attribute("givenName"), _attribute("familyName")]),
            _attribute("displayName"), _attribute("title"), _attribute("active", "boolean"),
            _attribute("emails", "complex", multiValued=True, subAttributes=[_attribute("value"), _attribute("type"), _attribute("primary", "boolean")]),
            _attribute("phoneNumbers", "complex", multiValued=True, subAttributes=[_attribute("value"), _attribute("type")]),
            _attribute("groups", "complex", multiValued=True, mutability="readOnly"),
        ]},
        {"id": ENTERPRISE, "name": "EnterpriseUser", "attributes": [_attribute("employeeNumber")]},
        {"id": CORE_GROUP, "name": "Group", "attributes": [
            _attribute("displayName", required=True, uniqueness="server"), _attribute("externalId"),
            _attribute("members", "complex", multiValued=True, subAttributes=[_attribute("value"), _attribute("display")]),
        ]},
    ]  # fmt: skip
    for item in found:
        item["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
        item["meta"] = {"resourceType": "Schema"}
    return scim_response(
        {"schemas": [LIST], "totalResults": len(found), "startIndex": 1, "itemsPerPage": len(found), "Resources": found}
    )
