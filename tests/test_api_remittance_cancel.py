"""pass.remittance.action_cancel through a real server (API.md): a venue's
user and a plain Pass user are refused (AccessError) and nothing changes;
the accountant (the demo admin, or any Pass accountant) cancels a validated
remittance: its entry is reversed, its passes are redeemed again and free
for another remittance, and the ledger check finds nothing."""

import uuid

import odoorpc
import pytest
from conftest import connect
from rpc_kit import make_funder, make_portal_user, make_program, make_venue


class World:
    """A funder, a programme, a venue with its portal user, three redeemed
    passes; built once through RPC as admin."""


@pytest.fixture(scope="module")
def world(server, admin, make_user):
    w = World()
    tag = uuid.uuid4().hex[:6]
    env = admin.env
    Partner = env["res.partner"]
    service = env["pass.service"].create(
        {"code": f"rpc_cancel_{tag}", "name": "Atelier annulation", "category": "admin"}
    )
    w.service_code = f"rpc_cancel_{tag}"
    funder = make_funder(env, f"Commune RPC annulation {tag}", "commune")
    prescriber = Partner.create(
        {
            "name": f"CCAS annulation {tag}",
            "is_company": True,
            "is_pass_prescriber": True,
        }
    )
    program = make_program(
        env,
        f"CANCEL-{tag}",
        f"Pass annulation {tag}",
        [(funder, 100.0)],
        service_ids=[(6, 0, [service])],
    )
    w.venue = make_venue(env, f"Lieu annulation {tag}", "33000", [service])
    login = make_portal_user(env, w.venue)
    w.venue_user = connect(server, login, login)
    staff_login, staff_password, _uid = make_user(
        ["pass_numerique.pass_numerique_group_user"]
    )
    w.staff = connect(server, staff_login, staff_password)
    accountant_login, accountant_password, _uid = make_user(
        ["pass_settlement.group_pass_accountant"]
    )
    w.accountant = connect(server, accountant_login, accountant_password)

    [book] = env["pass.program"].browse(program).issue_books(1, 3)
    env["pass.book"].browse([book]).distribute(prescriber)
    rows = env["pass.voucher"].search_read(
        [("book_id", "=", book)], ["code"], order="number"
    )
    w.passes = [row["id"] for row in rows]
    for row in rows:
        answer = w.venue_user.env["pass.voucher"].redeem_code(
            row["code"], w.venue, w.service_code
        )
        assert answer["ok"], answer
    return w


def _validated_remittance(odoo, world):
    """A remittance of the venue's redeemed passes, validated by ``odoo``."""
    Remittance = odoo.env["pass.remittance"]
    rid = Remittance.create({"venue_id": world.venue})
    odoo.execute_kw("pass.remittance", "action_add_redeemed", [[rid]])
    odoo.execute_kw("pass.remittance", "action_submit", [[rid]])
    odoo.execute_kw("pass.remittance", "action_validate", [[rid]])
    remittance = _remittance(odoo, rid)
    assert remittance["state"] == "validated"
    assert remittance["move_id"]
    return rid


def _remittance(odoo, rid):
    return odoo.env["pass.remittance"].read(
        [rid], ["state", "move_id", "reversal_move_id", "cancel_reason"]
    )[0]


def _passes(admin, world):
    return {
        row["id"]: (row["state"], row["remittance_id"] and row["remittance_id"][0])
        for row in admin.env["pass.voucher"].search_read(
            [("id", "in", world.passes)], ["state", "remittance_id"]
        )
    }


def _assert_ledger_ok(odoo):
    result = odoo.env["pass.ledger.check"].run()
    assert result["ok"] is True, result["differences"]
    assert result["differences"] == []


def _assert_refused(client, rid):
    with pytest.raises(odoorpc.error.RPCError) as err:
        client.execute_kw(
            "pass.remittance", "action_cancel", [[rid]], {"reason": "essai"}
        )
    assert "AccessError" in str(err.value.info), err.value.info


def test_cancel_refused_to_venue_and_staff_then_done_by_accountants(admin, world):
    rid = _validated_remittance(admin, world)
    settled = {vid: ("settled", rid) for vid in world.passes}
    assert _passes(admin, world) == settled
    _assert_ledger_ok(admin)

    # The venue's own user and a plain Pass user: AccessError, nothing moves.
    for client in (world.venue_user, world.staff):
        _assert_refused(client, rid)
        remittance = _remittance(admin, rid)
        assert remittance["state"] == "validated"
        assert remittance["reversal_move_id"] is False
        assert _passes(admin, world) == settled
    _assert_ledger_ok(admin)

    # The demo admin, the README's accountant, cancels it.
    assert admin.execute_kw(
        "pass.remittance", "action_cancel", [[rid]], {"reason": "Erreur de saisie"}
    )
    remittance = _remittance(admin, rid)
    assert remittance["state"] == "cancelled"
    assert remittance["cancel_reason"] == "Erreur de saisie"
    assert remittance["reversal_move_id"]
    reversal = admin.env["account.move"].read(
        [remittance["reversal_move_id"][0]], ["state", "reversed_entry_id"]
    )[0]
    assert reversal["state"] == "posted"
    assert reversal["reversed_entry_id"][0] == remittance["move_id"][0]
    freed = {vid: ("redeemed", False) for vid in world.passes}
    assert _passes(admin, world) == freed
    _assert_ledger_ok(admin)

    # The passes go on another remittance, cancelled in turn by another
    # Pass accountant.
    again = _validated_remittance(world.accountant, world)
    assert _passes(admin, world) == {vid: ("settled", again) for vid in world.passes}
    _assert_ledger_ok(world.accountant)
    _assert_refused(world.venue_user, again)
    assert world.accountant.execute_kw(
        "pass.remittance", "action_cancel", [[again]], {}
    )
    assert _remittance(admin, again)["state"] == "cancelled"
    assert _passes(admin, world) == freed
    _assert_ledger_ok(world.accountant)
    # Cancelling it again changes nothing.
    moves = admin.env["account.move"].search_count([])
    assert world.accountant.execute_kw("pass.remittance", "action_cancel", [[again]])
    assert admin.env["account.move"].search_count([]) == moves
    _assert_ledger_ok(admin)
