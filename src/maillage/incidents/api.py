"""JSON API of incidents (/api/v1/incidents): sealed reports and messages, their metadata.

Uploads are multipart (the envelope as JSON text in the `envelope` field, the sealed
attachments as `attachments` files, in part order). Every response that carries sealed
bytes is logged in the content access log, in the same transaction as the read.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status

from maillage.access.policy import Action, may, require, visible
from maillage.crisis import state as crisis
from maillage.errors import NotFound, Unauthenticated
from maillage.incidents import actions, alert_settings, clusters, dispatch, exercises, workflow
from maillage.incidents.catalogue import SEVERITIES
from maillage.incidents.lifecycle import Step
from maillage.incidents.models import (
    ContentKeyGrant,
    Dispatch,
    Exercise,
    Incident,
    SealedAttachment,
    SealedMessage,
)
from maillage.incidents.schemas import (
    AlertSettingsIn,
    AlertSettingsOut,
    CandidatesOut,
    CatalogueOut,
    ClusterIn,
    ClusterOut,
    ClusterStepIn,
    ClusterStepOut,
    DispatchIn,
    DispatchStatusIn,
    ExerciseIn,
    ExerciseOut,
    GrantsIn,
    IncidentOut,
    IncidentStepOut,
    KeysAddedOut,
    MessageEnvelopeOut,
    OutcomeIn,
    PostedOut,
    ProposalOut,
    ReportOut,
    SignedDocIn,
    VerdictIn,
    dispatch_out,
    incident_out,
    message_out,
    wire_of,
)
from maillage.members.auth import member_auth, session_device
from maillage.members.models import Membership
from maillage.members.schemas import errors
from maillage.privacy.access_log import Access, record_content_access, record_content_accesses
from maillage.privacy.models import ContentAccess
from maillage.stream.action import Actor
from maillage.trust.recipients import with_chains
from maillage.wire import chain

router = Router(tags=["incidents"], auth=member_auth)


def _actor(request: HttpRequest) -> Membership:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Membership):
        raise Unauthenticated()
    return actor


def _signed(grants: list[SignedDocIn]) -> list[chain.SignedDocument]:
    """The grants as posted, for the checks (which parse and verify each one)."""
    return [chain.SignedDocument(g.body, g.signature) for g in grants]


def _multipart(with_incident: bool) -> dict[str, Any]:
    """The request body for the OpenAPI schema (the view reads the form itself, so that
    a missing or broken field gets our own error rather than a generic 422)."""
    properties: dict[str, Any] = {
        "envelope": {"type": "string", "description": "Enveloppe scellée (JSON, docs/envelope.md)"},
        "attachments": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "maxItems": 4,
            "description": "Pièces jointes scellées, dans l'ordre des parties (1 à 4)",
        },
    }
    required = ["envelope"]
    if with_incident:
        properties["incident"] = {"type": "string", "format": "uuid"}
        properties["category"] = {
            "type": "string",
            "description": "Catégorie de la commune (GET /incidents/catalogue)",
        }
        properties["severity"] = {"type": "string", "enum": list(SEVERITIES)}
        properties["neighbours"] = {"type": "string", "enum": ["true", "false"]}
        properties["exercise"] = {
            "type": "string",
            "enum": ["true", "false"],
            "description": "Part of the running drill (GET /incidents/exercises/current)",
        }
        required[:0] = ["incident", "category"]
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


def _upload(request: HttpRequest) -> tuple[dict[str, str | None], actions.Upload]:
    """The form fields and files, or a structured refusal (size limits included)."""
    if request.content_type != "multipart/form-data":
        raise actions.multipart_required()
    form, files = request.POST, request.FILES  # parsed by middleware.SealedUploadLimit
    parts = [upload.read() for upload in files.getlist("attachments")]
    names = ("incident", "envelope", "category", "severity", "neighbours", "exercise")
    fields = {name: form.get(name) for name in names}
    return fields, actions.Upload(envelope_text=fields["envelope"], attachments=parts)


def _reload(message: SealedMessage) -> SealedMessage:
    return SealedMessage.objects.select_related("incident", "sender_device").get(pk=message.pk)


@router.post(
    "",
    response={200: ReportOut, 201: ReportOut, **errors(400, 403, 404, 409, 413, 429)},
    summary="Signaler un incident : le signalement et son premier message scellé",
    openapi_extra=_multipart(with_incident=True),
)
def report(request: HttpRequest) -> Status[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.REPORT_INCIDENT)
    fields, upload = _upload(request)
    metadata = actions.ReportFields(
        category=fields["category"],
        severity=fields["severity"],
        neighbours=fields["neighbours"],
        exercise=fields["exercise"],
    )
    received = actions.report_incident(
        actor, session_device(request), fields["incident"], upload, metadata
    )
    if received.created:
        # Answered from the rows just written (their relations are the session's own
        # member, commune, shop and device): reading them back would only cost queries.
        body = {
            "incident": incident_out(received.incident, messages=1, fresh=True),
            "message": message_out(received.message, received.attachments),
        }
        return Status(201, body)
    incident = Incident.objects.select_related("commune", "shop", "reported_by", "exercise").get(
        pk=received.incident.pk
    )
    body = {"incident": incident_out(incident), "message": message_out(_reload(received.message))}
    return Status(200, body)


@router.post(
    "/{incident_id}/messages",
    response={200: PostedOut, 201: PostedOut, **errors(400, 403, 404, 409, 413)},
    summary="Ajouter un message scellé à un signalement",
    openapi_extra=_multipart(with_incident=False),
)
def post_message(request: HttpRequest, incident_id: uuid.UUID) -> Status[dict[str, Any]]:
    return _posted(request, incident_id, police_only=False)


def _posted(
    request: HttpRequest, incident_id: uuid.UUID, *, police_only: bool
) -> Status[dict[str, Any]]:
    """A message or a police note: 201 when stored, 200 for an identical retry."""
    actor = _actor(request)
    permission = Action.POST_POLICE_NOTE if police_only else Action.POST_MESSAGE
    incident = actions.visible_incident(actor, incident_id, permission)
    _, upload = _upload(request)
    received = actions.post_message(
        actor, session_device(request), incident, upload, police_only=police_only
    )
    if received.created:
        return Status(201, {"message": message_out(received.message, received.attachments)})
    return Status(200, {"message": message_out(_reload(received.message))})


@router.post(
    "/{incident_id}/notes",
    response={200: PostedOut, 201: PostedOut, **errors(400, 403, 404, 409, 413)},
    summary="Note de police scellée (aux seuls appareils de la police, jamais au commerce)",
    openapi_extra=_multipart(with_incident=False),
)
def post_note(request: HttpRequest, incident_id: uuid.UUID) -> Status[dict[str, Any]]:
    return _posted(request, incident_id, police_only=True)


@router.get(
    "/catalogue",
    response={200: CatalogueOut, **errors(403)},
    summary="Catégories de signalement de la commune (et politique des alertes aux voisins)",
)
def catalogue(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_ALERT_CATALOGUE)
    settings = alert_settings.for_commune(actor.commune_id)
    return {
        "categories": [
            {"slug": c.slug, "label": c.label, "severity": c.severity, "call_17": c.call_17}
            for c in settings.enabled()
        ],
        "severities": list(SEVERITIES),
        "neighbours": {
            # As it applies now: in « mode crise » every shop's alert waits for the police.
            "validation": settings.neighbour_validation or crisis.is_on(actor.commune),
            "expiry_minutes": settings.neighbour_expiry_minutes,
        },
    }


@router.get(
    "/settings",
    response={200: AlertSettingsOut, **errors(403)},
    summary="Réglages des alertes de la commune : catégories, alertes aux voisins, limites",
)
def get_settings(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.VIEW_ALERT_SETTINGS)
    return alert_settings.for_commune(actor.commune_id).as_dict()


@router.put(
    "/settings",
    response={200: AlertSettingsOut, **errors(400, 403)},
    summary="Modifier les réglages des alertes (coordinateur)",
)
def put_settings(request: HttpRequest, payload: AlertSettingsIn) -> dict[str, Any]:
    actor = _actor(request)
    require(actor, Action.MANAGE_ALERT_SETTINGS)
    changed = alert_settings.change(
        Actor.member(actor, session_device(request)), actor.commune, payload.dict()
    )
    return changed.as_dict()


@router.get(
    "/clusters/proposals",
    response={200: list[ProposalOut], **errors(403)},
    summary="Regroupements proposés : même secteur, même catégorie, rapprochés dans le temps",
)
def cluster_proposals(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _actor(request)
    return [
        {
            "sector": p.sector_id,
            "sector_name": p.sector,
            "category": p.category,
            "category_label": p.category_label,
            "incidents": [
                {
                    "id": i.public_id,
                    "shop": i.shop.enseigne,
                    "state": i.state,
                    "created_at": i.created_at,
                }
                for i in p.incidents
            ],
        }
        for p in clusters.proposals(actor)
    ]


@router.post(
    "/clusters",
    response={201: ClusterOut, **errors(400, 403, 404, 409)},
    summary="Confirmer un regroupement (opérateur)",
)
def confirm_cluster(request: HttpRequest, payload: ClusterIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    cluster = clusters.confirm(actor, session_device(request), payload.incidents)
    return Status(201, clusters.cluster_out(cluster))


@router.post(
    "/clusters/{cluster_id}/step",
    response={200: ClusterStepOut, **errors(400, 403, 404, 409)},
    summary="Une étape pour tout le regroupement : chaque signalement garde sa chronologie",
)
def step_cluster(
    request: HttpRequest, cluster_id: uuid.UUID, payload: ClusterStepIn
) -> dict[str, Any]:
    actor = _actor(request)
    changed = clusters.step(
        actor,
        session_device(request),
        cluster_id,
        Step(payload.step),
        verdict=payload.verdict,
        outcome=payload.outcome,
    )
    return {"changed": [i.public_id for i in changed]}


@router.post(
    "/clusters/{cluster_id}/dispatch",
    response={200: ClusterStepOut, **errors(400, 403, 404, 409, 422)},
    summary="Envoyer des agents sur tout le regroupement (les clés de chaque signalement)",
)
def dispatch_cluster(
    request: HttpRequest, cluster_id: uuid.UUID, payload: DispatchIn
) -> dict[str, Any]:
    changed = clusters.dispatch_all(
        _actor(request),
        session_device(request),
        cluster_id,
        payload.agents,
        _signed(payload.grants),
    )
    return {"changed": [i.public_id for i in changed]}


def _exercise_out(exercise: Exercise) -> dict[str, Any]:
    return {
        "id": exercise.public_id,
        "name": exercise.name,
        "started_at": exercise.started_at,
        "ended_at": exercise.ended_at,
        "incidents": exercise.incidents.count(),
    }


@router.get(
    "/exercises/current",
    response={200: ExerciseOut | None, **errors(403)},
    summary="L'exercice en cours, ou null",
)
def current_exercise(request: HttpRequest) -> dict[str, Any] | None:
    actor = _actor(request)
    require(actor, Action.VIEW_EXERCISES)
    found = exercises.running(actor.commune_id)
    return _exercise_out(found) if found is not None else None


@router.post(
    "/exercises",
    response={201: ExerciseOut, **errors(400, 403, 409)},
    summary="Commencer un exercice (coordinateur, opérateur)",
)
def start_exercise(request: HttpRequest, payload: ExerciseIn) -> Status[dict[str, Any]]:
    actor = _actor(request)
    started = exercises.start(actor, session_device(request), payload.name)
    return Status(201, _exercise_out(started))


@router.post(
    "/exercises/{exercise_id}/end",
    response={200: ExerciseOut, **errors(403, 404, 409)},
    summary="Terminer l'exercice (coordinateur, opérateur)",
)
def end_exercise(request: HttpRequest, exercise_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    return _exercise_out(exercises.end(actor, session_device(request), exercise_id))


@router.get(
    "",
    response={200: list[IncidentOut], **errors(403)},
    summary="Signalements visibles (toute la commune ; un commerçant : son commerce)",
)
def list_incidents(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _actor(request)
    require(actor, Action.VIEW_INCIDENTS)
    # Newest first, explicitly: Meta.ordering does not apply to a GROUP BY query.
    incidents = (
        visible(actor, Incident)
        .select_related("commune", "shop", "reported_by", "taken_by__person", "exercise", "cluster")
        .annotate(message_count=Count("messages"))
        .order_by("-created_at", "-pk")
    )
    crew = _crew(actor)
    incidents = incidents.prefetch_related(_dispatches())
    police = may(actor, Action.TAKE_INCIDENT)
    settings = alert_settings.for_commune(actor.commune_id)
    targets = {c.slug: c.target_minutes for c in settings.categories}
    now = timezone.now()
    return [
        incident_out(item, item.message_count, police=police, targets=targets, now=now, crew=crew)
        for item in incidents
    ]


@router.get(
    "/{incident_id}/messages",
    response={200: list[MessageEnvelopeOut], **errors(403, 404)},
    summary="Messages scellés d'un signalement (chaque lecture est journalisée)",
)
def list_messages(request: HttpRequest, incident_id: uuid.UUID) -> list[dict[str, Any]]:
    actor = _actor(request)
    incident = actions.visible_incident(actor, incident_id, Action.READ_CONTENT)
    device = session_device(request)
    messages = (
        visible(actor, SealedMessage)
        .filter(incident=incident)
        .select_related("incident", "sender_device")
        .prefetch_related(Prefetch("attachments", SealedAttachment.objects.order_by("index")))
    )
    grants = _grants_for(device, messages)
    result = [
        {**message_out(message), "envelope": wire_of(message), "grant": grants.get(message.pk)}
        for message in messages
    ]
    if result:
        record_content_accesses(
            membership=actor,
            device=device,
            incident_public_id=str(incident.public_id),
            accesses=[
                Access(str(message.public_id), ContentAccess.What.ENVELOPE) for message in messages
            ],
        )
    return result


def _grants_for(device: Any, messages: Any) -> dict[int, dict[str, Any]]:
    """The content keys granted to this device (an agent's) for these messages, each with
    its granter's chain; none for a device the envelopes list themselves."""
    if device is None:
        return {}
    found = list(
        ContentKeyGrant.objects.filter(
            message__in=[m.pk for m in messages], recipient_device=device
        ).select_related("granter_certificate")
    )
    chains = dict(with_chains({g.granter_certificate for g in found}))
    return {
        g.message_id: {
            "body": g.body,
            "signature": g.signature,
            "granter_chain": chains[g.granter_certificate],
        }
        for g in found
    }


@router.get(
    "/{incident_id}/messages/{message_id}/attachments/{index}",
    response={200: None, **errors(403, 404)},
    summary="Une pièce jointe scellée (octets opaques ; la lecture est journalisée)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Octets scellés",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def get_attachment(
    request: HttpRequest, incident_id: uuid.UUID, message_id: uuid.UUID, index: int
) -> HttpResponse:
    actor = _actor(request)
    incident = actions.visible_incident(actor, incident_id, Action.READ_CONTENT)
    attachment = (
        SealedAttachment.objects.filter(
            message__in=visible(actor, SealedMessage).filter(incident=incident),
            message__public_id=message_id,
            index=index,
        )
        .select_related("message")
        .first()
    )
    if attachment is None:  # absent, or a police note the caller may not read
        raise NotFound("Pièce jointe introuvable.")
    # Read first, then log: the commune's log lock is not held during file I/O, and the
    # bytes leave only once the read is recorded.
    with attachment.file.open("rb") as handle:
        data = handle.read()
    record_content_access(
        membership=actor,
        device=session_device(request),
        incident_public_id=str(incident.public_id),
        message_public_id=str(attachment.message.public_id),
        what=ContentAccess.What.ATTACHMENT,
        part=index,
    )
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="part-{index}.bin"'
    response["Cache-Control"] = "no-store"
    return response


# --- the lifecycle (incidents/lifecycle.py; one action and one event per step) ----------

_STEP_ERRORS = errors(400, 403, 404, 409)


def _crew(actor: Membership) -> bool:
    """Who sees the agents sent: the police and the agents (dispatch-bound)."""
    return may(actor, Action.DISPATCH_AGENT) or may(actor, Action.REPORT_DISPATCH_STATUS)


def _dispatches() -> Any:
    return Prefetch("dispatches", Dispatch.objects.select_related("agent__person"))


def _stepped(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    actor = _actor(request)
    incident = (
        Incident.objects.select_related("commune", "shop", "reported_by", "taken_by__person")
        .prefetch_related(_dispatches())
        .get(pk=incident.pk)
    )
    police = may(actor, Action.TAKE_INCIDENT)
    return {"incident": incident_out(incident, police=police, crew=_crew(actor))}


@router.post(
    "/{incident_id}/take",
    response={200: IncidentStepOut, **_STEP_ERRORS},
    summary="Prendre en charge un signalement (un seul opérateur l'obtient)",
)
def take(request: HttpRequest, incident_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    incident = workflow.take(actor, session_device(request), incident_id)
    return _stepped(request, incident)


@router.post(
    "/{incident_id}/lift-doubt",
    response={200: IncidentStepOut, **_STEP_ERRORS},
    summary="Lever le doute : fondé (founded) ou infondé (unfounded)",
)
def lift_doubt(request: HttpRequest, incident_id: uuid.UUID, payload: VerdictIn) -> dict[str, Any]:
    actor = _actor(request)
    incident = workflow.lift_doubt(actor, session_device(request), incident_id, payload.verdict)
    return _stepped(request, incident)


@router.post(
    "/{incident_id}/engage",
    response={200: IncidentStepOut, **_STEP_ERRORS},
    summary="Engager une intervention (doute levé, fondé)",
)
def engage(request: HttpRequest, incident_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    incident = workflow.engage(actor, session_device(request), incident_id)
    return _stepped(request, incident)


@router.post(
    "/{incident_id}/on-site",
    response={200: IncidentStepOut, **_STEP_ERRORS},
    summary="Intervention sur place",
)
def on_site(request: HttpRequest, incident_id: uuid.UUID) -> dict[str, Any]:
    actor = _actor(request)
    incident = workflow.on_site(actor, session_device(request), incident_id)
    return _stepped(request, incident)


@router.post(
    "/{incident_id}/close",
    response={200: IncidentStepOut, **_STEP_ERRORS},
    summary="Clôturer un signalement avec son issue",
)
def close(request: HttpRequest, incident_id: uuid.UUID, payload: OutcomeIn) -> dict[str, Any]:
    actor = _actor(request)
    incident = workflow.close(actor, session_device(request), incident_id, payload.outcome)
    return _stepped(request, incident)


@router.get(
    "/{incident_id}/dispatch",
    response={200: CandidatesOut, **errors(403, 404)},
    summary="Agents à envoyer : leurs appareils certifiés et les messages à leur transmettre",
)
def dispatch_candidates(request: HttpRequest, incident_id: uuid.UUID) -> dict[str, Any]:
    incident, found = dispatch.candidates(_actor(request), incident_id)
    chains = dict(with_chains([c for candidate in found for c in candidate.certificates]))
    missing, _ = dispatch.missing_keys(incident)
    return {
        "incident": incident.public_id,
        "missing": [{"message": m, "device": d} for m, d in sorted(missing)],
        "messages": list(incident.messages.values_list("public_id", flat=True)),
        "agents": [
            {
                "agent": candidate.membership.public_id,
                "name": candidate.membership.person.display_name,
                "devices": [
                    {"device": c.device.public_id, "chain": chains[c]}
                    for c in candidate.certificates
                ],
                "active_elsewhere": candidate.active_elsewhere,
                "dispatch": dispatch_out(candidate.dispatch)
                if candidate.dispatch is not None
                else None,
            }
            for candidate in found
        ],
    }


@router.post(
    "/{incident_id}/dispatch",
    response={201: IncidentStepOut, **errors(400, 403, 404, 409, 422)},
    summary="Envoyer des agents, avec les clés des messages pour leurs appareils",
)
def dispatch_agents(
    request: HttpRequest, incident_id: uuid.UUID, payload: DispatchIn
) -> Status[dict[str, Any]]:
    incident = dispatch.dispatch(
        _actor(request),
        session_device(request),
        incident_id,
        payload.agents,
        _signed(payload.grants),
    )
    return Status(201, _stepped(request, incident))


@router.post(
    "/{incident_id}/dispatch/keys",
    response={201: KeysAddedOut, **errors(400, 403, 404, 409, 422)},
    summary="Transmettre aux agents envoyés les clés qui leur manquent (nouvel appareil)",
)
def dispatch_keys(
    request: HttpRequest, incident_id: uuid.UUID, payload: GrantsIn
) -> Status[dict[str, Any]]:
    added = dispatch.add_missing_keys(
        _actor(request),
        session_device(request),
        incident_id,
        _signed(payload.grants),
    )
    return Status(201, {"grants": added})


@router.post(
    "/{incident_id}/dispatch/status",
    response={200: IncidentStepOut, **_STEP_ERRORS},
    summary="L'agent envoyé : en route, sur place, terminé (avec l'issue)",
)
def dispatch_status(
    request: HttpRequest, incident_id: uuid.UUID, payload: DispatchStatusIn
) -> dict[str, Any]:
    reported = dispatch.report_status(
        _actor(request), session_device(request), incident_id, payload.status, payload.outcome
    )
    return _stepped(request, reported.incident)
