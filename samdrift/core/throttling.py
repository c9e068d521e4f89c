"""API throttling per token and per user (issue 18), and its place in the OpenAPI schema.

DRF's rate throttles keep their counters in Django's cache: with several web processes the cache
must be shared (REDIS_URL; settings.CACHES). Rates are read from the settings at each request, so
an operator can change them without a code change. A throttled request gets 429 with Retry-After
(DRF sets the header from the throttle's wait), and every operation in the schema declares it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return settings.SAMDRIFT_API_THROTTLE_RATES.get(self.scope or "")


class TokenRateThrottle(_SettingsRateThrottle):
    """Requests made with one API token (an integration); a user's tokens each have their own budget."""

    scope = "token"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not isinstance(request.auth, Token):
            return None
        ident = hashlib.sha256(request.auth.key.encode()).hexdigest()[:32]  # no token in cache keys
        return self.cache_format % {"scope": self.scope, "ident": ident}


class UserRateThrottle(_SettingsRateThrottle):
    """Requests of one user, however authenticated (session or any token); anonymous ones by address."""

    scope = "user"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            ident = str(request.user.pk)
        else:
            from samdrift.core.security import client_ip

            self.scope = "anon"
            self.rate = self.get_rate()
            if self.rate is None:
                return None
            self.num_requests, self.duration = self.parse_rate(self.rate)
            ident = client_ip(request._request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


THROTTLED_RESPONSE = {
    "description": "Too many requests: wait the number of seconds in Retry-After and try again.",
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before the next request.",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
        }
    },
}


def add_throttled_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation may answer 429."""
    for operations in result.get("paths", {}).values():
        for name, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation and name != "parameters":
                operation["responses"].setdefault("429", THROTTLED_RESPONSE)
    return result
