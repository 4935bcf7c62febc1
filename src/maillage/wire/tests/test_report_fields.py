"""The sealed descriptors (`fields.report`): the Python twin's checks, the lists held in
step with the TypeScript file, and no list that invites sensitive data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from maillage.wire import report_fields as rf
from maillage.wire.canonical import canonical_json

TS_FILE = Path(__file__).resolve().parents[4] / "frontend" / "src" / "alert" / "descriptors.ts"
I18N_FILE = TS_FILE.parents[1] / "i18n.ts"

TS_NAMES = {
    "PEOPLE": rf.PEOPLE,
    "CLOTHING": rf.CLOTHING,
    "COLOURS": rf.COLOURS,
    "SIGNS": rf.SIGNS,
    "DIRECTIONS": rf.DIRECTIONS,
    "VEHICLES": rf.VEHICLES,
}


def ts_list(source: str, name: str) -> tuple[str, ...]:
    match = re.search(rf"export const {name} = \[(.*?)\] as const;", source, re.S)
    assert match, f"{name} absent de descriptors.ts"
    return tuple(re.findall(r'"([^"]+)"', match.group(1)))


def full(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "v": 1,
        "people": None,
        "clothing": [],
        "colours": [],
        "signs": [],
        "direction": None,
        "vehicle": None,
    }
    base.update(changes)
    return base


def test_the_lists_are_the_typescript_lists() -> None:
    source = TS_FILE.read_text(encoding="utf-8")
    for name, python in TS_NAMES.items():
        assert ts_list(source, name) == python, name


def test_every_slug_has_a_french_and_an_english_label() -> None:
    catalogue = I18N_FILE.read_text(encoding="utf-8")
    for key, slugs in rf.LISTS.items():
        assert catalogue.count(f'"alert.d.{key}":') == 2, key
        for slug in slugs:
            label = f'"alert.d.{key}.{slug.replace("+", "plus")}":'
            assert catalogue.count(label) == 2, label


SENSITIVE = re.compile(
    r"origin|ethni|race|peau|skin|religi|voile|kippa|croix|sant[ée]|health|handicap|"
    r"disab|fauteuil|malad|sexe|gender|genre|orient|nationali|accent|langue|typ[ée]",
    re.I,
)


def test_no_list_invites_sensitive_data() -> None:
    catalogue = I18N_FILE.read_text(encoding="utf-8")
    labels = re.findall(r'"alert\.d\.[a-z_]+(?:\.[a-z_0-9]+)?": "([^"]*)"', catalogue)
    assert len(labels) >= 2 * (len(rf.LISTS) + sum(len(v) for v in rf.LISTS.values()))
    for text in [*labels, *(slug for slugs in rf.LISTS.values() for slug in slugs)]:
        assert not SENSITIVE.search(text), text


def test_a_full_report_is_accepted_as_is() -> None:
    report = full(
        people="2",
        clothing=["capuche", "jean"],
        colours=["noir", "rouge"],
        signs=["visage_couvert"],
        direction="gauche",
        vehicle="deux_roues",
    )
    assert rf.validate_report(report) == report
    assert rf.validate_report(report) is not report


def test_build_report_sorts_choices_into_list_order() -> None:
    built = rf.build_report(people="4+", clothing=["jean", "capuche"], colours=["rouge", "noir"])
    assert built["clothing"] == ["capuche", "jean"]
    assert built["colours"] == ["noir", "rouge"]
    assert rf.sealed_fields(built) == {"report": built}
    # The sealed form is canonical JSON, one form for one choice.
    assert canonical_json({"report": built}).startswith(b'{"report":{"clothing":["capuche"')


def test_nothing_chosen_seals_empty_fields() -> None:
    assert rf.sealed_fields(rf.build_report()) == {}
    assert rf.sealed_fields(None) == {}


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("vol", "report"),
        ([], "report"),
        ({**full(), "origine": "x"}, "origine"),
        ({k: v for k, v in full().items() if k != "signs"}, "signs"),
        (full(v=2), "v"),
        (full(v=True), "v"),
        (full(v="1"), "v"),
        (full(people="5"), "people"),
        (full(people=4), "people"),
        (full(direction="vers la gare"), "direction"),
        (full(vehicle="voiture rouge AB-123-CD"), "vehicle"),
        (full(clothing="capuche"), "clothing"),
        (full(clothing=["capuche", "capuche"]), "clothing"),
        (full(clothing=["jean", "capuche"]), "clothing"),
        (full(colours=["noir", "bleu marine"]), "colours"),
        (full(signs=[None]), "signs"),
        (full(signs=[1]), "signs"),
    ],
)
def test_free_text_or_a_broken_shape_is_refused(value: object, field: str) -> None:
    with pytest.raises(rf.ReportFieldsError) as caught:
        rf.validate_report(value)
    assert caught.value.field == field
    assert caught.value.message.startswith("Descripteur invalide")


@pytest.mark.parametrize(
    "kwargs",
    [{"clothing": ["capuche", "capuche"]}, {"signs": ["tatouage"]}, {"people": "beaucoup"}],
)
def test_build_report_refuses_unknown_or_repeated_choices(kwargs: dict[str, Any]) -> None:
    with pytest.raises(rf.ReportFieldsError):
        rf.build_report(**kwargs)
