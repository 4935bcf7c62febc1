"""Structured API errors: a stable `code`, a French `message`, the offending `field`.

Every refusal the API sends goes through ApiError so clients (and the French UI) can rely
on one shape: {"code": "...", "message": "...", "field": "..." | null}.
"""

from __future__ import annotations


class ApiError(Exception):
    status = 400
    #: Response headers the refusal carries (Retry-After for a limit).
    headers: dict[str, str] = {}

    def __init__(
        self, code: str, message: str, *, field: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def payload(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFound(ApiError):
    status = 404

    def __init__(self, message: str = "Ressource introuvable.") -> None:
        super().__init__("not_found", message)


class Forbidden(ApiError):
    status = 403

    def __init__(self, message: str = "Action non autorisée pour votre rôle.") -> None:
        super().__init__("forbidden", message)


class Unauthenticated(ApiError):
    status = 401

    def __init__(self, message: str = "Connectez-vous pour continuer.") -> None:
        super().__init__("unauthenticated", message)


class Conflict(ApiError):
    status = 409
