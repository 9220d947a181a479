"""The write-guard table names real guards, and every custom type with a life cycle has one."""

from __future__ import annotations

import pytest

from accord.cooperation import types
from accord.intel import guards


@pytest.mark.parametrize("stix_type", sorted(guards.GUARDS))
def test_every_entry_names_a_callable_guard(stix_type: str) -> None:
    guards._guard.cache_clear()
    assert callable(guards._guard(stix_type))


def test_module_managed_types_are_guarded() -> None:
    managed = {
        types.AGENDA_ITEM,
        types.WG_SESSION,
        types.CHANNEL,
        types.MESSAGE,
        types.RECEIPT,
        types.CONTACT,
        types.CONSULTATION,
        types.EXERCISE,
    }
    assert managed <= set(guards.GUARDS)


def test_a_type_without_guards_is_let_through() -> None:
    assert guards._guard("indicator") is None
