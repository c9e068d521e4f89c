"""A second factor is required for the administrator, finance and records-officer roles (issue 18).

A local account that holds one of these roles and has no second factor (TOTP or a passkey) reaches
only the pages that set one up, and logging out; every other page redirects there, the API answers
403. SAMDRIFT_MFA_DEMO_EXEMPT (on only outside production: `make run` and the tests' demo users)
lifts the requirement; production refuses to start with it on.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from samdrift.core.access import scope_for
from samdrift.core.roles import Role

MFA_REQUIRED_ROLES = frozenset({Role.ADMIN, Role.FINANCE, Role.RECORDS_OFFICER})
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/health/", "/scim/")


def needs_second_factor(user: object) -> bool:
    """True when this user must set up a second factor before doing anything else."""
    if settings.SAMDRIFT_MFA_DEMO_EXEMPT or not getattr(user, "is_authenticated", False):
        return False
    if not (scope_for(user).operator_roles & MFA_REQUIRED_ROLES):
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(
        user_id=user.pk,  # type: ignore[attr-defined]
        type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
    ).exists()


class RequireSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(_OPEN_PREFIXES) and needs_second_factor(getattr(request, "user", None)):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Set up a second factor (an authenticator app or a passkey) before you continue.")},
                    status=403,
                )
            return redirect("mfa_index")
        return self.get_response(request)
