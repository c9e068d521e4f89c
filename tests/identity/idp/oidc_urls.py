"""URLs of the test OpenID Connect provider, plus two helpers the tests drive it with:
POST /test/users (create an employee in the directory) and POST /login/ (sign in at the provider)."""

import json

from django.contrib.auth import authenticate, login
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_validators import OAuth2Validator

# The directory's extra attributes of each user: employee number and groups.
PROFILES: dict[str, dict] = {}


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below goes into the ID token and userinfo

    def get_additional_claims(self, request):
        user = request.user
        profile = PROFILES.get(user.username, {})
        return {
            "email": user.email,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "preferred_username": user.username,
            "employee_number": profile.get("employee_number", ""),
            "groups": profile.get("groups", []),
        }


@csrf_exempt
def create_user(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body)
    user, _ = User.objects.update_or_create(
        username=data["username"],
        defaults={
            "email": data["email"],
            "first_name": data.get("given_name", ""),
            "last_name": data.get("family_name", ""),
        },
    )
    user.set_password(data["password"])
    user.save()
    PROFILES[user.username] = {"employee_number": data.get("employee_number", ""), "groups": data.get("groups", [])}
    return JsonResponse({"ok": True})


@csrf_exempt
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return HttpResponse("<form method=post><input name=username><input name=password type=password></form>")
    user = authenticate(request, username=request.POST.get("username"), password=request.POST.get("password"))
    if user is None:
        return HttpResponse("wrong password", status=403)
    login(request, user)
    return HttpResponse("signed in")


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("test/users", create_user),
    path("login/", sign_in),
]
