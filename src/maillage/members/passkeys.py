"""Passkeys (WebAuthn) through py_webauthn: options out, credentials in, challenges in the session.

Options are the JSON `PublicKeyCredential.parseCreationOptionsFromJSON` /
`parseRequestOptionsFromJSON` accept; credentials arrive as the browser's
`credential.toJSON()`. The relying party and origins are read from settings at call time so
tests and the live test server (random port) can change them.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from maillage.errors import ApiError
from maillage.members.models import Passkey

CEREMONY_SECONDS = 300
_REGISTRATION_KEY = "webauthn_registration"
_AUTHENTICATION_KEY = "webauthn_authentication"
_LOCALHOST_ORIGIN = re.compile(r"http://localhost(:[0-9]{1,5})?")


class PasskeyInvalid(ApiError):
    status = 422

    def __init__(
        self, message: str = "La clé d'accès n'a pas pu être vérifiée. Réessayez."
    ) -> None:
        super().__init__("passkey_invalid", message, field="credential")


class CeremonyExpired(ApiError):
    status = 422

    def __init__(self) -> None:
        super().__init__(
            "passkey_ceremony_expired",
            "La demande de clé d'accès a expiré ou a déjà servi : recommencez.",
            field="credential",
        )


@dataclass(frozen=True)
class NewPasskey:
    """A verified registration, ready to be stored by an action."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: list[str]
    user_handle: bytes


def expected_origins(credential: Any) -> list[str]:
    """The configured origins, plus the credential's own `http://localhost:<port>` when allowed.

    Passkeys cannot live on IP addresses, so development and the browser tests run on
    localhost with whatever port is free; production lists its origins explicitly.
    """
    origins = list(settings.WEBAUTHN_ORIGINS)
    if settings.DEBUG or getattr(settings, "WEBAUTHN_ALLOW_LOCALHOST_ANY_PORT", False):
        origin = _client_origin(credential)
        if origin and _LOCALHOST_ORIGIN.fullmatch(origin) and origin not in origins:
            origins.append(origin)
    return origins


def _client_origin(credential: Any) -> str | None:
    try:
        raw = base64url_to_bytes(credential["response"]["clientDataJSON"])
        origin = json.loads(raw)["origin"]
    except (KeyError, TypeError, ValueError):
        return None
    return origin if isinstance(origin, str) else None


def _options_dict(options: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def registration_options(
    session: SessionBase, *, user_handle: bytes, user_name: str, display_name: str, purpose: str
) -> dict[str, Any]:
    """Creation options for a new discoverable passkey; the challenge stays in the session.

    `purpose` ties the challenge to what it is for (e.g. the invitation's token hash), so a
    challenge fetched for one invitation cannot complete another.
    """
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        timeout=CEREMONY_SECONDS * 1000,
    )
    session[_REGISTRATION_KEY] = {
        "challenge": bytes_to_base64url(options.challenge),
        "user_handle": bytes_to_base64url(user_handle),
        "purpose": purpose,
        "expires": int(time.time()) + CEREMONY_SECONDS,
    }
    return _options_dict(options)


def pending_registration_handle(session: SessionBase, purpose: str) -> bytes | None:
    """The user handle promised in the options for `purpose`, if a ceremony is under way."""
    state = session.get(_REGISTRATION_KEY)
    if not state or state.get("purpose") != purpose:
        return None
    return base64url_to_bytes(state["user_handle"])


def verify_registration(session: SessionBase, credential: Any, *, purpose: str) -> NewPasskey:
    """Check an attestation against the challenge we issued; each challenge serves once."""
    state = session.pop(_REGISTRATION_KEY, None)
    if not state or state.get("purpose") != purpose or state["expires"] < time.time():
        raise CeremonyExpired
    if not isinstance(credential, dict):
        raise PasskeyInvalid
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(state["challenge"]),
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=expected_origins(credential),
            require_user_verification=False,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise PasskeyInvalid from exc
    transports = credential.get("response", {}).get("transports") or []
    return NewPasskey(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(t) for t in transports if isinstance(t, str)][:8],
        user_handle=base64url_to_bytes(state["user_handle"]),
    )


def authentication_options(session: SessionBase) -> dict[str, Any]:
    """Request options for discoverable credentials: the authenticator offers the account."""
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        user_verification=UserVerificationRequirement.PREFERRED,
        timeout=CEREMONY_SECONDS * 1000,
    )
    session[_AUTHENTICATION_KEY] = {
        "challenge": bytes_to_base64url(options.challenge),
        "expires": int(time.time()) + CEREMONY_SECONDS,
    }
    return _options_dict(options)


def verify_authentication(session: SessionBase, credential: Any) -> tuple[Passkey, int]:
    """The stored passkey this assertion proves, and the authenticator's new sign count."""
    state = session.pop(_AUTHENTICATION_KEY, None)
    if not state or state["expires"] < time.time():
        raise CeremonyExpired
    if not isinstance(credential, dict):
        raise PasskeyInvalid
    unknown = PasskeyInvalid(
        "Cette clé d'accès n'est pas connue ici : elle a peut-être été créée pour un autre site."
    )
    try:
        credential_id = base64url_to_bytes(str(credential["rawId"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise PasskeyInvalid from exc
    passkey = Passkey.objects.select_related("person").filter(credential_id=credential_id).first()
    if passkey is None:
        raise unknown
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(state["challenge"]),
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=expected_origins(credential),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=False,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise PasskeyInvalid from exc
    user_handle = credential.get("response", {}).get("userHandle")
    if user_handle and base64url_to_bytes(user_handle) != passkey.person.public_id.bytes:
        raise PasskeyInvalid
    return passkey, verified.new_sign_count
