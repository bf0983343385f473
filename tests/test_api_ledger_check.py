"""pass.ledger.check.run through a real server (API.md contract)."""

import odoorpc
import pytest
from conftest import connect

DIFFERENCE_KEYS = {"partner_id", "role", "expected", "ledger", "difference"}


@pytest.fixture(scope="module")
def users(make_user):
    return {
        "accountant": make_user(["account.group_account_user"]),
        "staff": make_user(["pass_numerique.pass_numerique_group_user"]),
    }


def _as(server, creds):
    login, password, _uid = creds
    return connect(server, login, password)


def test_ledger_check_contract(server, admin, users):
    odoo = _as(server, users["accountant"])
    company_id = admin.env.user.company_id.id
    for result in (
        odoo.env["pass.ledger.check"].run(),
        odoo.execute_kw("pass.ledger.check", "run", [], {"company_id": company_id}),
    ):
        assert set(result) == {"ok", "differences"}
        assert isinstance(result["ok"], bool)
        assert result["ok"] == (result["differences"] == [])
        for difference in result["differences"]:
            assert set(difference) == DIFFERENCE_KEYS
            assert difference["role"] in ("funder", "venue")
            assert round(difference["expected"] - difference["ledger"], 2) == round(
                difference["difference"], 2
            )
    # The run is recorded: the accountant reads its check.
    checks = odoo.env["pass.ledger.check"].search_read([], ["state"], limit=1)
    assert checks and checks[0]["state"] in ("ok", "difference")


def test_ledger_check_refused_to_staff(server, users):
    odoo = _as(server, users["staff"])
    with pytest.raises(odoorpc.error.RPCError) as err:
        odoo.execute_kw("pass.ledger.check", "run", [], {})
    assert "AccessError" in str(err.value.info) or "comptable" in str(err.value)
