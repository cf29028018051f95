"""The admin roles are apart, not ranked: an editor is no lesser auditor, nor the reverse."""

from __future__ import annotations

import pytest

from services.admin.domain.accounts import ROLES, AdminError, Principal, check_new_account, role_of


def test_each_role_grants_its_own_access_and_an_operator_all() -> None:
    grants = {role: {a for a in ROLES if Principal(1, "x", role).may(a)} for role in ROLES}
    assert grants == {
        "auditor": {"auditor"},
        "dpo": {"auditor", "dpo"},
        "editor": {"editor"},
        "operator": {"auditor", "dpo", "editor", "operator"},
    }
    assert all(Principal(1, "x", role).may("signed_in") for role in ROLES)


def test_a_stored_role_is_read_back_and_an_unknown_one_grants_nothing_but_signing_in() -> None:
    assert [role_of(r) for r in ROLES] == list(ROLES)
    assert role_of("superuser") is None
    assert role_of("Editor") is None
    nobody = Principal(1, "x", role_of("superuser"))
    assert nobody.may("signed_in")
    assert not any(nobody.may(role) for role in ROLES)


def test_an_unknown_role_is_refused_for_a_new_account() -> None:
    with pytest.raises(AdminError, match="auditor, dpo, editor, operator"):
        check_new_account("ny", "redaktør", "correct horse battery staple")


def test_an_address_is_refused_as_a_new_accounts_name() -> None:
    with pytest.raises(AdminError, match="must not be an email address"):
        check_new_account("kari.nordmann@etaten.no", "editor", "correct horse battery staple")
    check_new_account("kari.nordmann", "editor", "correct horse battery staple")
