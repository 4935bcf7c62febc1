"""Passkey registration and sign-in, verified by py_webauthn against a software authenticator."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from maillage.members.models import Passkey, Role
from maillage.members.tests import factory
from maillage.members.tests.authenticator import SoftAuthenticator
from maillage.members.tests.test_enrolment import enrol, invite, token_of
from maillage.trust.models import Device

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled() -> dict[str, Any]:
    """A member enrolled through the API, approved by a coordinator; with their authenticator."""
    commune = factory.make_commune()
    coordinator = factory.make_member(Role.COORDINATOR, commune)
    authenticator = SoftAuthenticator()
    response, _ = enrol(
        Client(), token_of(invite(coordinator, Role.OPERATOR)["url"]), authenticator
    )
    assert response.status_code == 201
    device = Device.objects.get(public_id=response.json()["device"]["id"])
    factory.certify(device)
    return {"authenticator": authenticator, "device": device, "coordinator": coordinator}


def sign_in(
    client: Client, authenticator: SoftAuthenticator, device: str | None, **create: Any
) -> Any:
    options = client.post("/api/v1/auth/passkey/options", {}, content_type="application/json")
    assert options.status_code == 200
    body = options.json()
    assert body["rpId"] == "localhost"
    assert body["userVerification"] == "preferred"
    assert body.get("allowCredentials", []) == []
    credential = authenticator.get(body, **create)
    return client.post(
        "/api/v1/auth/passkey/verify",
        {"credential": credential, "device": device},
        content_type="application/json",
    )


def test_registration_options_ask_for_a_discoverable_passkey(enrolled) -> None:
    coordinator = enrolled["coordinator"]
    token = token_of(invite(coordinator)["url"])
    options = (
        Client()
        .post(
            "/api/v1/enrolment/passkey-options", {"token": token}, content_type="application/json"
        )
        .json()
    )
    assert options["rp"] == {"id": "localhost", "name": "Maillage"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["attestation"] == "none"
    assert options["user"]["displayName"] == "Camille Durand"


def test_sign_in_binds_the_session_to_the_members_device(enrolled) -> None:
    client = Client()
    response = sign_in(client, enrolled["authenticator"], str(enrolled["device"].public_id))
    assert response.status_code == 200, response.json()
    session = response.json()
    assert session["authenticated"] is True
    assert session["membership"]["status"] == "active"
    assert session["device"]["id"] == str(enrolled["device"].public_id)
    assert session["device"]["status"] == "active"
    assert "members.view" not in session["permissions"]  # an operator
    assert (
        Passkey.objects.get(credential_id=enrolled["authenticator"].credential_id).sign_count == 1
    )
    # Certified device: member-only endpoints answer.
    assert client.get("/api/v1/trust/revocations").status_code == 200


def test_sign_in_on_a_new_browser_has_no_device_until_it_registers_one(enrolled) -> None:
    client = Client()
    response = sign_in(client, enrolled["authenticator"], None)
    assert response.status_code == 200
    assert response.json()["device"] is None
    assert client.get("/api/v1/trust/revocations").json()["code"] == "device_not_certified"
    _, _, enc_public, sign_public = factory.new_keys()
    registered = client.post(
        "/api/v1/devices",
        {"label": "Ordinateur du poste", "enc_key": enc_public, "sign_key": sign_public},
        content_type="application/json",
    )
    assert registered.status_code == 201, registered.json()
    assert registered.json()["status"] == "pending"
    assert client.get("/api/v1/session").json()["device"]["id"] == registered.json()["id"]
    again = client.post(
        "/api/v1/devices",
        {"label": "x", "enc_key": enc_public, "sign_key": sign_public},
        content_type="application/json",
    )
    assert again.status_code == 409


def test_someone_elses_device_is_not_bound(enrolled) -> None:
    other = factory.make_member(Role.AGENT, enrolled["device"].membership.commune)
    assert other.device is not None
    response = sign_in(Client(), enrolled["authenticator"], str(other.device.public_id))
    assert response.status_code == 200
    assert response.json()["device"] is None


def test_sign_count_going_backwards_is_refused(enrolled) -> None:
    authenticator = enrolled["authenticator"]
    assert sign_in(Client(), authenticator, None).status_code == 200
    authenticator.sign_count = 0  # a cloned authenticator replays an old counter
    response = sign_in(Client(), authenticator, None)
    assert response.status_code == 422
    assert response.json()["code"] == "passkey_invalid"


def test_challenge_serves_once(enrolled) -> None:
    client = Client()
    options = client.post("/api/v1/auth/passkey/options", {}, content_type="application/json")
    credential = enrolled["authenticator"].get(options.json())
    first = client.post(
        "/api/v1/auth/passkey/verify", {"credential": credential}, content_type="application/json"
    )
    assert first.status_code == 200
    replay = client.post(
        "/api/v1/auth/passkey/verify", {"credential": credential}, content_type="application/json"
    )
    assert replay.status_code == 422
    assert replay.json()["code"] == "passkey_ceremony_expired"


def test_forged_signature_is_refused(enrolled) -> None:
    client = Client()
    options = client.post("/api/v1/auth/passkey/options", {}, content_type="application/json")
    credential = SoftAuthenticator().get(options.json())  # a different key…
    credential["id"] = credential["rawId"] = factory.b64(enrolled["authenticator"].credential_id)
    response = client.post(
        "/api/v1/auth/passkey/verify", {"credential": credential}, content_type="application/json"
    )
    assert response.status_code == 422
    assert client.get("/api/v1/session").json()["authenticated"] is False


def test_unknown_credential_is_refused_in_french() -> None:
    client = Client()
    options = client.post("/api/v1/auth/passkey/options", {}, content_type="application/json")
    authenticator = SoftAuthenticator()
    authenticator.rp_id = "localhost"
    response = client.post(
        "/api/v1/auth/passkey/verify",
        {"credential": authenticator.get(options.json())},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "clé d'accès" in response.json()["message"]


@override_settings(
    WEBAUTHN_ORIGINS=["https://alertes.ville.fr"], WEBAUTHN_ALLOW_LOCALHOST_ANY_PORT=True
)
def test_any_localhost_port_is_accepted_when_allowed(enrolled) -> None:
    response = sign_in(Client(), enrolled["authenticator"], None, origin="http://localhost:51234")
    assert response.status_code == 200, response.json()


@override_settings(
    WEBAUTHN_ORIGINS=["https://alertes.ville.fr"],
    WEBAUTHN_ALLOW_LOCALHOST_ANY_PORT=False,
    DEBUG=False,
)
def test_origins_are_read_at_call_time_and_enforced(enrolled) -> None:
    refused = sign_in(Client(), enrolled["authenticator"], None, origin="http://localhost:51234")
    assert refused.status_code == 422
    other_site = sign_in(Client(), enrolled["authenticator"], None, origin="https://evil.example")
    assert other_site.status_code == 422
    allowed = sign_in(Client(), enrolled["authenticator"], None, origin="https://alertes.ville.fr")
    assert allowed.status_code == 200


def test_suspended_member_cannot_sign_in(enrolled) -> None:
    device = enrolled["device"]
    factory.suspend(factory.Persona(device.membership, device))
    response = sign_in(Client(), enrolled["authenticator"], str(enrolled["device"].public_id))
    assert response.status_code == 403
    assert response.json()["code"] == "access_revoked"


def test_csrf_is_enforced_on_anonymous_and_member_posts(enrolled) -> None:
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/api/v1/auth/passkey/options", {}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    client.get("/api/v1/session")  # sets the CSRF cookie
    token = client.cookies["maillage_csrf"].value
    allowed = client.post(
        "/api/v1/auth/passkey/options", {}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert allowed.status_code == 200

    coordinator = enrolled["coordinator"].client(enforce_csrf_checks=True)
    coordinator.get("/api/v1/session")
    no_header = coordinator.post(
        "/api/v1/invitations",
        {"role": "agent", "display_name": "X"},
        content_type="application/json",
    )
    assert no_header.status_code == 403
    assert no_header.json()["code"] == "csrf_failed"
    with_header = coordinator.post(
        "/api/v1/invitations",
        {"role": "agent", "display_name": "X"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=coordinator.cookies["maillage_csrf"].value,
    )
    assert with_header.status_code == 201
