"""The integrator contract of API.md for the core, through a real server."""

import odoorpc
import pytest
from conftest import connect
from rpc_kit import make_funder, make_program


@pytest.fixture(scope="module")
def program(admin):
    """An active programme co-funded 60/40, created through RPC."""
    env = admin.env
    state = make_funder(env, "État (test RPC)", "state")
    dept = make_funder(env, "Département (test RPC)")
    return make_program(env, "RPC-CORE", "Programme RPC", [(state, 60.0), (dept, 40.0)])


def test_issue_books_over_rpc(admin, program):
    Program = admin.env["pass.program"]
    book_ids = Program.browse(program).issue_books(3, 5)
    assert isinstance(book_ids, list) and len(book_ids) == 3
    assert all(isinstance(i, int) for i in book_ids)
    books = admin.env["pass.book"].read(
        book_ids, ["name", "state", "voucher_ids", "program_id"]
    )
    assert {b["state"] for b in books} == {"available"}
    assert len({b["name"] for b in books}) == 3
    vouchers = admin.env["pass.voucher"].search_read(
        [("book_id", "in", book_ids)], ["code", "amount", "state", "program_id"]
    )
    assert len(vouchers) == 15
    assert {v["state"] for v in vouchers} == {"available"}
    assert {v["amount"] for v in vouchers} == {10.0}
    codes = [v["code"] for v in vouchers]
    assert len(set(codes)) == 15
    assert all(len(c) == 16 and c.isdigit() for c in codes)


def test_issue_books_refusals_over_rpc(admin, program):
    Program = admin.env["pass.program"]
    before = admin.env["pass.book"].search_count([("program_id", "=", program)])
    for count in (0, -3, 10001):
        with pytest.raises(odoorpc.error.RPCError) as err:
            Program.browse(program).issue_books(count, 10)
        assert "books" in str(err.value).lower() or "carnets" in str(err.value).lower()
    assert admin.env["pass.book"].search_count([("program_id", "=", program)]) == before


def test_distribute_over_rpc(admin, program):
    prescriber = admin.env["res.partner"].create(
        {"name": "CCAS (test RPC)", "is_pass_prescriber": True}
    )
    book_ids = admin.env["pass.program"].browse(program).issue_books(2, 10)
    admin.env["pass.book"].browse(book_ids).distribute(prescriber)
    books = admin.env["pass.book"].read(book_ids, ["state", "holder_id"])
    assert {b["state"] for b in books} == {"distributed"}
    assert {b["holder_id"][0] for b in books} == {prescriber}
    states = admin.env["pass.voucher"].search_read(
        [("book_id", "in", book_ids)], ["state"]
    )
    assert {v["state"] for v in states} == {"distributed"}
    history = admin.env["pass.book.distribution"].search_count(
        [("book_id", "in", book_ids), ("holder_id", "=", prescriber)]
    )
    assert history == 2


def test_pass_user_cannot_edit_programmes(server, admin, program, make_user):
    login, password, _uid = make_user(["pass_numerique.pass_numerique_group_user"])
    user = connect(server, login, password)
    Program = user.env["pass.program"]
    assert Program.search_count([("id", "=", program)]) == 1
    with pytest.raises(odoorpc.error.RPCError):
        Program.browse(program).write({"name": "hacked"})
    with pytest.raises(odoorpc.error.RPCError):
        Program.browse(program).issue_books(1, 10)
    assert (
        admin.env["pass.program"].read([program], ["name"])[0]["name"]
        == "Programme RPC"
    )


def test_portal_user_reads_nothing(server, admin, program, make_user):
    """A portal user linked to no venue, prescriber or funder reads nothing."""
    admin.env["pass.program"].browse(program).issue_books(1, 5)
    login, password, _uid = make_user(["base.group_portal"])
    portal = connect(server, login, password)
    # Portal users read programmes and shares through record rules (their
    # organisation's): this one has none, and a programme named by id is
    # refused. Active services are the public referential (the public venue
    # page lists them): readable, not writable.
    for model in ("pass.program", "pass.program.funding"):
        assert portal.env[model].search_read([], ["id"]) == []
    with pytest.raises(odoorpc.error.RPCError):
        portal.env["pass.program"].read([program], ["name"])
    services = portal.env["pass.service"].search_read([], ["id"])
    assert {s["id"] for s in services} <= set(
        admin.env["pass.service"].search([("active", "=", True)])
    )
    with pytest.raises(odoorpc.error.RPCError):
        portal.env["pass.service"].create({"name": "x", "code": "x_portal"})
    # Passes and books are readable by a venue's or holder's portal users,
    # through record rules: this one is neither, so it sees none of them.
    assert admin.env["pass.voucher"].search_count([]) > 0
    assert portal.env["pass.voucher"].search_count([]) == 0
    assert portal.env["pass.book"].search_count([]) == 0
