"""SIRET rules, checked on known numbers and as properties of the Luhn key."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from maillage.territory.siret import (
    LA_POSTE_HEAD_OFFICE,
    LA_POSTE_SIREN,
    InvalidSiret,
    is_valid_siret,
    luhn_check_digit,
    luhn_is_valid,
    validate_siret,
)

digits = st.text(alphabet="0123456789", min_size=13, max_size=13)


def ordinary(body: str) -> bool:
    return not body.startswith(LA_POSTE_SIREN)


def test_it_accepts_an_ordinary_siret() -> None:
    assert validate_siret("44306184100047") == "44306184100047"


def test_it_strips_spaces_people_paste() -> None:
    assert validate_siret(" 443 061 841\u00a000047 ") == "44306184100047"


def test_it_accepts_la_poste_head_office_by_luhn() -> None:
    # 3+5+6+4+8 = 26: the head office predates the exception and keeps the Luhn key.
    assert luhn_is_valid(LA_POSTE_HEAD_OFFICE)
    assert validate_siret("356 000 000 00048") == LA_POSTE_HEAD_OFFICE


def test_it_accepts_la_poste_establishments_whose_digits_sum_to_a_multiple_of_5() -> None:
    for siret in ("35600000000001", "35600000049837"):
        assert not luhn_is_valid(siret)
        assert sum(map(int, siret)) % 5 == 0
        assert is_valid_siret(siret)


def test_it_refuses_a_la_poste_establishment_even_when_luhn_holds() -> None:
    assert luhn_is_valid("35600000000014")
    assert not is_valid_siret("35600000000014")


@pytest.mark.parametrize("raw", ["", "123", "4430618410004", "443061841000470", "4430618410004A"])
def test_it_refuses_anything_but_14_digits(raw: str) -> None:
    with pytest.raises(InvalidSiret) as refused:
        validate_siret(raw)
    assert refused.value.message == "Le SIRET doit compter 14 chiffres."


def test_it_refuses_non_ascii_digits() -> None:
    assert not is_valid_siret("٤٤٣٠٦١٨٤١٠٠٠٤٧")


def test_it_names_the_siret_when_the_key_is_wrong() -> None:
    with pytest.raises(InvalidSiret) as refused:
        validate_siret("44306184100048")
    assert refused.value.message == "Le SIRET 44306184100048 n'est pas valide (clé de contrôle)."


@given(digits)
def test_it_accepts_every_siret_with_a_computed_key(body: str) -> None:
    assume(ordinary(body))
    assert is_valid_siret(body + luhn_check_digit(body))


@given(digits, st.integers(0, 13), st.integers(1, 9))
def test_it_refuses_any_single_digit_change(body: str, position: int, shift: int) -> None:
    siret = body + luhn_check_digit(body)
    changed = siret[:position] + str((int(siret[position]) + shift) % 10) + siret[position + 1 :]
    assume(ordinary(siret) and ordinary(changed))
    assert not is_valid_siret(changed)


@given(digits)
def test_it_has_exactly_one_key_per_body(body: str) -> None:
    assume(ordinary(body))
    valid = [key for key in "0123456789" if is_valid_siret(body + key)]
    assert valid == [luhn_check_digit(body)]


@given(st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_it_judges_la_poste_by_the_sum_of_digits(nic: str) -> None:
    siret = LA_POSTE_SIREN + nic
    assume(siret != LA_POSTE_HEAD_OFFICE)
    assert is_valid_siret(siret) == (sum(map(int, siret)) % 5 == 0)


@given(digits, st.lists(st.integers(0, 14), max_size=5))
def test_it_ignores_spaces_anywhere(body: str, cuts: list[int]) -> None:
    siret = body + luhn_check_digit(body)
    spaced = siret
    for cut in sorted(cuts, reverse=True):
        spaced = spaced[:cut] + " " + spaced[cut:]
    assert is_valid_siret(spaced) == is_valid_siret(siret)
