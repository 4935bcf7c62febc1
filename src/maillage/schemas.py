"""Shapes shared by every API router: the error body and the clean-text field types.

`Annotated[str, Text(150)]` applies the rule of `maillage.wire.text` inside pydantic, so a
refused value is a 422 whose message says why (control character, too long, not an e-mail
address), and the OpenAPI schema shows the limits (maxLength, pattern) to clients and to
the fuzzer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from ninja import Schema
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from maillage.wire import text

NO_CONTROL_PATTERN = "^[^\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]*$"
MULTILINE_PATTERN = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]*$"
TEXT_ERROR_TYPES = frozenset({"control_character", "too_long", "invalid_email", "required"})


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(statuses, ErrorOut)


@dataclass(frozen=True)
class Text:
    """Clean text of at most max_length characters; multiline admits line feeds and tabs."""

    max_length: int
    multiline: bool = False

    def check(self, value: str) -> str:
        try:
            return text.check_text(value, max_length=self.max_length, multiline=self.multiline)
        except text.TextProblem as problem:
            raise PydanticCustomError(problem.code, problem.sentence) from None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = dict(handler(schema))
        json_schema["maxLength"] = self.max_length
        json_schema["pattern"] = MULTILINE_PATTERN if self.multiline else NO_CONTROL_PATTERN
        return json_schema


@dataclass(frozen=True)
class EmailAddress:
    """An e-mail address or '' (the rule in maillage.wire.text.check_email)."""

    def check(self, value: str) -> str:
        try:
            return text.check_email(value)
        except text.TextProblem as problem:
            raise PydanticCustomError(problem.code, problem.sentence) from None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = dict(handler(schema))
        json_schema["maxLength"] = text.EMAIL_MAX_LENGTH
        return json_schema


Email = Annotated[str, EmailAddress()]
