"""Access rights through RPC: a real server refuses what the UI refuses."""

import uuid

import odoorpc
import pytest
from conftest import connect
from rpc_kit import make_funder, make_program


@pytest.fixture(scope="module")
def setup(admin, make_user):
    """An active programme with one distributed book, a Pass user, a Pass
    manager and a portal user (none linked to the book's holder)."""
    suffix = uuid.uuid4().hex[:8]
    env = admin.env
    state = make_funder(env, f"État (sécurité {suffix})", "state")
    dept = make_funder(env, f"Département (sécurité {suffix})")
    prescriber = env["res.partner"].create(
        {"name": f"CCAS (sécurité {suffix})", "is_pass_prescriber": True}
    )
    code = f"SEC-{suffix}"
    program_id = make_program(
        env, code, f"Programme sécurité {suffix}", [(state, 60.0), (dept, 40.0)]
    )
    book_ids = env["pass.program"].browse(program_id).issue_books(1, 5)
    admin.env["pass.book"].browse(book_ids).distribute(prescriber)
    voucher_ids = admin.env["pass.voucher"].search([("book_id", "in", book_ids)])
    return {
        "code": code,
        "program": program_id,
        "books": book_ids,
        "vouchers": voucher_ids,
        "funders": (state, dept),
        "user": make_user(["pass_numerique.pass_numerique_group_user"]),
        "manager": make_user(["pass_numerique.pass_numerique_group_manager"]),
        "portal": make_user(["base.group_portal"]),
    }


def _as(server, creds):
    login, password, _uid = creds
    return connect(server, login, password)


def _refused(call):
    with pytest.raises(odoorpc.error.RPCError) as err:
        call()
    return str(err.value)


def test_pass_user_cannot_write_programmes(server, admin, setup):
    odoo = _as(server, setup["user"])
    Program = odoo.env["pass.program"]
    # Staff read the programme...
    [read] = Program.read([setup["program"]], ["face_value", "state"])
    assert read["face_value"] == 10.0 and read["state"] == "active"
    # ... but cannot change it, create one, or close it.
    message = _refused(
        lambda: Program.write([setup["program"]], {"face_value": 1000.0})
    )
    assert "AccessError" in message or "autoris" in message or "allowed" in message
    _refused(
        lambda: Program.create(
            {"name": "Pirate", "code": f"{setup['code']}-P", "date_end": "2030-12-31"}
        )
    )
    _refused(lambda: Program.browse(setup["program"]).action_close())
    _refused(lambda: Program.browse(setup["program"]).issue_books(1, 5))
    [after] = admin.env["pass.program"].read(
        [setup["program"]], ["face_value", "state"]
    )
    assert after["face_value"] == 10.0 and after["state"] == "active"
    assert (
        admin.env["pass.program"].search_count([("code", "=", f"{setup['code']}-P")])
        == 0
    )
    assert (
        admin.env["pass.book"].search_count([("program_id", "=", setup["program"])])
        == 1
    )


def test_pass_manager_may_write_programmes(server, admin, setup):
    odoo = _as(server, setup["manager"])
    state, _dept = setup["funders"]
    Program = odoo.env["pass.program"]
    new_id = Program.create(
        {
            "name": "Programme du responsable",
            "code": f"{setup['code']}-M",
            "date_end": "2030-12-31",
            "funding_ids": [(0, 0, {"partner_id": state, "share": 100.0})],
        }
    )
    Program.write([new_id], {"face_value": 20.0})
    assert Program.read([new_id], ["face_value"])[0]["face_value"] == 20.0
    # Managers create venues and funders (contact creation is implied).
    venue = odoo.env["res.partner"].create(
        {"name": "Lieu du responsable", "is_pass_venue": True}
    )
    assert venue


def test_rpc_errors_are_french_and_change_nothing(server, admin, setup):
    state, dept = setup["funders"]
    Program = admin.env["pass.program"]
    message = _refused(
        lambda: Program.create(
            {
                "name": "Parts fausses",
                "code": f"{setup['code']}-99",
                "date_end": "2030-12-31",
                "funding_ids": [
                    (0, 0, {"partner_id": state, "share": 60.0}),
                    (0, 0, {"partner_id": dept, "share": 39.99}),
                ],
            }
        )
    )
    assert "100" in message  # the shares must add up to 100 %
    message = _refused(
        lambda: Program.create(
            {"name": "Doublon", "code": setup["code"], "date_end": "2030-12-31"}
        )
    )
    assert "already exists" in message or "existe déjà" in message
    assert (
        Program.search_count([("code", "in", [setup["code"], f"{setup['code']}-99"])])
        == 1
    )


def test_portal_user_reads_nothing(server, setup):
    odoo = _as(server, setup["portal"])
    vouchers = setup["vouchers"]
    _refused(lambda: odoo.env["pass.voucher"].read(vouchers, ["code", "amount"]))
    _refused(lambda: odoo.env["pass.book"].read(setup["books"], ["name"]))
    # Portal users read their own organisation's programmes and shares
    # (record rules): this one has none, and another's is refused.
    assert odoo.env["pass.program"].search_read([], ["name"]) == []
    _refused(lambda: odoo.env["pass.program"].read([setup["program"]], ["name"]))
    assert odoo.env["pass.program.funding"].search_read([], ["share"]) == []
    # Searching finds nothing: the rules hide every pass and book.
    assert odoo.env["pass.voucher"].search([]) == []
    assert odoo.env["pass.book"].search([]) == []
    _refused(lambda: odoo.env["pass.voucher"].write(vouchers, {"state": "cancelled"}))
