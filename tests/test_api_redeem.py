"""The redemption contract of API.md (check_code / redeem_code), through a
real server: the shape of the answers, every refusal reason, exactly-once
under 20 concurrent clients, and venues kept apart."""

import uuid

import odoorpc
import pytest
from conftest import api_contract, connect, pass_code
from rpc_kit import (
    at_once,
    make_funder,
    make_portal_user,
    make_program,
    make_venue,
)

ATTEMPT_LIMIT_KEY = "pass_numerique.max_refused_attempts"
IP_LIMIT_KEY = "pass_numerique.max_refused_attempts_ip"


def _valid_unknown_code():
    """A well-formed code (right check digit) that no pass carries."""
    return pass_code.generate_code()


class World:
    """Everything the module's tests share, built once through RPC as admin."""


@pytest.fixture(scope="module")
def world(server, admin):
    w = World()
    w.server = server
    tag = uuid.uuid4().hex[:6]
    env = admin.env
    Partner = env["res.partner"]
    Service = env["pass.service"]
    Params = env["ir.config_parameter"]
    # 20 concurrent clients of one venue: each loser is a refused attempt, so
    # the fraud throttle (10 by default) must not cut in during this module.
    w.old_limit = Params.get_param(ATTEMPT_LIMIT_KEY, "10")
    w.old_ip_limit = Params.get_param(IP_LIMIT_KEY, "30")
    Params.set_param(ATTEMPT_LIMIT_KEY, "1000")
    # Every client of these tests comes from 127.0.0.1.
    Params.set_param(IP_LIMIT_KEY, "100000")

    w.workshop = f"rpc_workshop_{tag}"
    w.procedure = f"rpc_procedure_{tag}"
    w.other_service = f"rpc_other_{tag}"
    workshop = Service.create(
        {"code": w.workshop, "name": "Atelier RPC", "category": "daily_tools"}
    )
    procedure = Service.create(
        {"code": w.procedure, "name": "Démarche RPC", "category": "admin"}
    )
    other = Service.create(
        {"code": w.other_service, "name": "Hors programme", "category": "admin"}
    )
    funder = make_funder(env, f"Département RPC {tag}")
    w.prescriber = Partner.create(
        {"name": f"CCAS RPC {tag}", "is_company": True, "is_pass_prescriber": True}
    )
    Program = env["pass.program"]

    def program(code, activation="on_issue"):
        return make_program(
            env,
            f"{code}-{tag}",
            f"Pass RPC {code}",
            [(funder, 100.0)],
            territory_zips="33",
            activation=activation,
            service_ids=[(6, 0, [workshop, procedure])],
        )

    w.program = program("RDM")
    w.program_name = Program.read([w.program], ["name"])[0]["name"]
    w.program_on_payment = program("RDMPAY", "on_payment")
    w.program_to_close = program("RDMEND")

    def venue(name, zip_code, services, state="qualified"):
        city = "Bordeaux" if zip_code.startswith("33") else "Paris"
        return make_venue(
            env, f"{name} {tag}", zip_code, services, city, state == "qualified"
        )

    w.venue_a = venue("Lieu A", "33000", [workshop, procedure, other])
    w.venue_b = venue("Lieu B", "33100", [workshop])
    w.venue_candidate = venue("Lieu candidat", "33200", [workshop], state="candidate")
    w.venue_paris = venue("Lieu Paris", "75011", [workshop])

    w.login_a = make_portal_user(env, w.venue_a)
    w.login_b = make_portal_user(env, w.venue_b)
    w.login_candidate = make_portal_user(env, w.venue_candidate)
    w.login_paris = make_portal_user(env, w.venue_paris)
    w.user_a = connect(server, w.login_a, w.login_a)
    w.user_b = connect(server, w.login_b, w.login_b)
    yield w
    Params.set_param(ATTEMPT_LIMIT_KEY, w.old_limit)
    Params.set_param(IP_LIMIT_KEY, w.old_ip_limit)


def _fresh_codes(admin, world, count, program=None, distribute=True):
    """``count`` passes of a new book of the programme: (ids, codes)."""
    program = program or world.program
    [book] = admin.env["pass.program"].browse(program).issue_books(1, count)
    if distribute:
        admin.env["pass.book"].browse([book]).distribute(world.prescriber)
    rows = admin.env["pass.voucher"].search_read(
        [("book_id", "=", book)], ["code"], order="number"
    )
    return [r["id"] for r in rows], [r["code"] for r in rows]


def _state(admin, voucher_id):
    return admin.env["pass.voucher"].read([voucher_id], ["state"])[0]["state"]


def _attempts(admin, venue):
    return admin.env["pass.redemption.attempt"].search_read(
        [("venue_id", "=", venue)],
        ["reason", "ok", "voucher_id", "code_masked", "user_id", "operation"],
    )


# ---------------------------------------------------------------------- contract
def test_check_code_contract(admin, world):
    [vid], [code] = _fresh_codes(admin, world, 1)
    answer = world.user_a.env["pass.voucher"].check_code(
        code, world.venue_a, world.workshop
    )
    assert answer["ok"] is True
    assert answer["reason"] is None
    assert isinstance(answer["amount"], float) and answer["amount"] == 10.0
    assert (
        isinstance(answer["program"], str) and answer["program"] == world.program_name
    )
    # service_code is optional
    answer = world.user_a.env["pass.voucher"].check_code(code, world.venue_a)
    assert answer["ok"] is True
    # checking changes no pass; both checks are logged as checks
    assert _state(admin, vid) == "distributed"
    assert [
        (a["operation"], a["ok"])
        for a in _attempts(admin, world.venue_a)
        if a["voucher_id"] and a["voucher_id"][0] == vid
    ] == [("check", True), ("check", True)]

    refused = world.user_a.env["pass.voucher"].check_code(
        _valid_unknown_code(), world.venue_a, world.workshop
    )
    assert refused["ok"] is False
    assert refused["reason"] == "unknown_code"
    assert isinstance(refused["amount"], float)
    assert isinstance(refused["program"], str)


def test_redeem_code_contract(admin, world):
    [vid], [code] = _fresh_codes(admin, world, 1)
    # Printed groups, dashes and surrounding blanks are ignored.
    typed = f" {code[:4]} {code[4:8]}-{code[8:12]} {code[12:]} "
    before = len(_attempts(admin, world.venue_a))
    answer = world.user_a.env["pass.voucher"].redeem_code(
        typed, world.venue_a, world.workshop
    )
    assert answer["ok"] is True
    assert isinstance(answer["voucher_id"], int) and answer["voucher_id"] == vid
    assert isinstance(answer["amount"], float) and answer["amount"] == 10.0
    voucher = admin.env["pass.voucher"].read(
        [vid], ["state", "venue_id", "service_id", "redeemed_at"]
    )[0]
    assert voucher["state"] == "redeemed"
    assert voucher["venue_id"][0] == world.venue_a
    assert voucher["service_id"][1] == "Atelier RPC"
    assert voucher["redeemed_at"]
    attempts = _attempts(admin, world.venue_a)
    assert len(attempts) == before + 1
    last = attempts[0]
    assert last["ok"] is True and last["reason"] == "ok"
    # The log keeps the code masked: it must not become a list of codes.
    assert code not in last["code_masked"] and code[:8] not in last["code_masked"]

    again = world.user_a.env["pass.voucher"].redeem_code(
        code, world.venue_a, world.workshop
    )
    assert again["ok"] is False
    assert again["reason"] == "already_redeemed"
    assert "voucher_id" not in again


# ---------------------------------------------------------------------- refusals
def _assert_refused(
    admin, world, client, code, venue, service, reason, voucher_id=None
):
    """Redeem through ``client`` and check the refusal changed nothing but the log."""
    state = _state(admin, voucher_id) if voucher_id else None
    before = len(_attempts(admin, venue))
    answer = client.env["pass.voucher"].redeem_code(code, venue, service)
    assert answer == {**answer, "ok": False, "reason": reason}, answer
    assert answer["reason"] in api_contract.REFUSAL_REASONS
    assert "voucher_id" not in answer
    attempts = _attempts(admin, venue)
    assert len(attempts) == before + 1
    assert attempts[0]["reason"] == reason and attempts[0]["ok"] is False
    assert attempts[0]["operation"] == "redeem"
    if voucher_id:
        assert _state(admin, voucher_id) == state
    # check_code gives the same verdict and changes no pass; it is logged
    checked = client.env["pass.voucher"].check_code(code, venue, service)
    assert checked["ok"] is False and checked["reason"] == reason
    assert (checked["amount"], checked["program"]) == (0.0, "")
    attempts = _attempts(admin, venue)
    assert len(attempts) == before + 2
    assert (attempts[0]["operation"], attempts[0]["reason"]) == ("check", reason)
    if voucher_id:
        assert _state(admin, voucher_id) == state
    return answer


def test_refusal_unknown_and_mistyped_codes(admin, world):
    [vid], [code] = _fresh_codes(admin, world, 1)
    user = world.user_a
    venue = world.venue_a
    _assert_refused(
        admin, world, user, _valid_unknown_code(), venue, world.workshop, "unknown_code"
    )
    # every single-digit typo of a real code is caught by the check digit
    wrong = code[:5] + str((int(code[5]) + 1) % 10) + code[6:]
    _assert_refused(
        admin, world, user, wrong, venue, world.workshop, "bad_check_digit", vid
    )
    wrong_check = code[:-1] + str((int(code[-1]) + 3) % 10)
    _assert_refused(
        admin, world, user, wrong_check, venue, world.workshop, "bad_check_digit", vid
    )
    # bad input: never a traceback, an unknown code
    for junk in (
        "",
        "   ",
        "abc",
        code[:-2],
        code + "0",
        "٣" * 16,
        "é" * 16,
        "9" * 10240,
    ):
        _assert_refused(
            admin, world, user, junk, venue, world.workshop, "unknown_code", vid
        )
    assert _state(admin, vid) == "distributed"


def test_refusal_voucher_states(admin, world):
    user = world.user_a
    venue = world.venue_a
    ids, codes = _fresh_codes(admin, world, 2)
    # validity dates change through no plain write, not even admin's
    with pytest.raises(odoorpc.error.RPCError):
        admin.env["pass.voucher"].browse([ids[0]]).write({"date_expiry": "2020-01-31"})
    # a pass of a closed programme is refused at the counter as expired, even
    # before the expiry cron has marked it
    [eid], [ecode] = _fresh_codes(admin, world, 1, program=world.program_to_close)
    admin.env["pass.program"].browse([world.program_to_close]).action_close()
    _assert_refused(admin, world, user, ecode, venue, world.workshop, "expired", eid)
    assert _state(admin, eid) == "distributed"

    [nid], [ncode] = _fresh_codes(admin, world, 1, distribute=False)
    _assert_refused(
        admin, world, user, ncode, venue, world.workshop, "not_distributed", nid
    )

    cids, ccodes = _fresh_codes(admin, world, 2)
    book = admin.env["pass.voucher"].read([cids[0]], ["book_id"])[0]["book_id"][0]
    admin.env["pass.book"].browse([book]).cancel_unused("lost")
    _assert_refused(
        admin, world, user, ccodes[0], venue, world.workshop, "cancelled", cids[0]
    )
    assert _state(admin, cids[0]) == "cancelled"

    [pid], [pcode] = _fresh_codes(admin, world, 1, program=world.program_on_payment)
    _assert_refused(
        admin, world, user, pcode, venue, world.workshop, "not_activated", pid
    )
    # once the funders have paid, the same pass is accepted
    pbook = admin.env["pass.voucher"].read([pid], ["book_id"])[0]["book_id"][0]
    admin.env["pass.book"].browse([pbook]).action_mark_funders_paid()
    assert (
        user.env["pass.voucher"].redeem_code(pcode, venue, world.workshop)["ok"] is True
    )


def test_refusal_venue_and_service(server, admin, world):
    ids, codes = _fresh_codes(admin, world, 1)
    candidate = connect(server, world.login_candidate, world.login_candidate)
    paris = connect(server, world.login_paris, world.login_paris)
    for client, venue, service, reason in (
        (candidate, world.venue_candidate, world.workshop, "venue_not_qualified"),
        (paris, world.venue_paris, world.workshop, "out_of_territory"),
        # venue B does not offer the procedure service
        (world.user_b, world.venue_b, world.procedure, "service_not_allowed"),
        # venue A offers this one, but the programme does not pay for it
        (world.user_a, world.venue_a, world.other_service, "service_not_allowed"),
        # a service code that does not exist
        (world.user_a, world.venue_a, "no_such_service", "service_not_allowed"),
    ):
        _assert_refused(admin, world, client, codes[0], venue, service, reason, ids[0])
    assert _state(admin, ids[0]) == "distributed"


def test_refusal_unknown_venue(admin, world):
    [vid], [code] = _fresh_codes(admin, world, 1)
    missing = max(admin.env["res.partner"].search([], order="id desc", limit=1)) + 1000
    for venue in (missing, 0, "abc"):
        for method in ("redeem_code", "check_code"):
            with pytest.raises(odoorpc.error.RPCError) as err:
                getattr(world.user_a.env["pass.voucher"], method)(
                    code, venue, world.workshop
                )
            assert "venue" in str(err.value).lower() or "lieu" in str(err.value).lower()
            assert "Traceback" not in str(err.value)
    assert _state(admin, vid) == "distributed"


def test_refusal_too_many_attempts(server, admin, world):
    """After N refused attempts within the window, even a valid pass is refused."""
    Params = admin.env["ir.config_parameter"]
    venue = admin.env["res.partner"].create(
        {
            "name": f"Lieu essais {uuid.uuid4().hex[:6]}",
            "is_company": True,
            "is_pass_venue": True,
            "zip": "33400",
            "country_id": admin.env.ref("base.fr").id,
            "pass_service_ids": [
                (
                    6,
                    0,
                    admin.env["pass.service"].search([("code", "=", world.workshop)]),
                )
            ],
        }
    )
    admin.env["res.partner"].browse(venue).action_pass_qualify()
    [vid], [code] = _fresh_codes(admin, world, 1)
    Params.set_param(ATTEMPT_LIMIT_KEY, "3")
    try:
        for _i in range(3):
            answer = admin.env["pass.voucher"].redeem_code(
                _valid_unknown_code(), venue, world.workshop
            )
            assert answer["reason"] == "unknown_code"
        _assert_refused(
            admin, world, admin, code, venue, world.workshop, "too_many_attempts", vid
        )
        # other venues are not affected
        assert world.user_b.env["pass.voucher"].check_code(
            code, world.venue_b, world.workshop
        )["ok"]
    finally:
        Params.set_param(ATTEMPT_LIMIT_KEY, "1000")
        # admin guessed too: lift its block and the venue's for the next tests
        Limits = admin.env["pass.rate.limit"]
        Limits.browse(Limits.search([("blocked", "=", True)])).action_unblock()
    assert _state(admin, vid) == "distributed"


# ---------------------------------------------------------------------- concurrency
def test_twenty_concurrent_clients_redeem_once(server, admin, world):
    [vid], [code] = _fresh_codes(admin, world, 1)
    clients = [connect(server, world.login_a, world.login_a) for _i in range(20)]

    def redeem(client):
        return client.env["pass.voucher"].redeem_code(
            code, world.venue_a, world.workshop
        )

    answers, errors = at_once(redeem, [(client,) for client in clients])
    assert not errors, errors
    assert len(answers) == 20
    winners = [a for a in answers if a["ok"]]
    assert len(winners) == 1, answers
    assert winners[0]["voucher_id"] == vid
    assert (
        sorted(a["reason"] for a in answers if not a["ok"]) == ["already_redeemed"] * 19
    )
    assert _state(admin, vid) == "redeemed"
    log = admin.env["pass.redemption.attempt"].search_read(
        [("voucher_id", "=", vid)], ["ok", "reason"]
    )
    assert sorted((a["ok"], a["reason"]) for a in log) == sorted(
        [(True, "ok")] + [(False, "already_redeemed")] * 19
    )


# ---------------------------------------------------------------------- venues apart
def test_venue_b_cannot_read_or_redeem_venue_a(admin, world):
    ids, codes = _fresh_codes(admin, world, 2)
    assert world.user_a.env["pass.voucher"].redeem_code(
        codes[0], world.venue_a, world.workshop
    )["ok"]
    Voucher_a = world.user_a.env["pass.voucher"]
    Voucher_b = world.user_b.env["pass.voucher"]
    # A sees its redemption; B sees none of A's passes
    assert Voucher_a.search_count([("id", "=", ids[0])]) == 1
    assert Voucher_b.search_count([("id", "=", ids[0])]) == 0
    assert Voucher_b.search_count([("venue_id", "=", world.venue_a)]) == 0
    with pytest.raises(odoorpc.error.RPCError):
        Voucher_b.read([ids[0]], ["code", "state"])
    # nor the attempt log, nor the books
    with pytest.raises(odoorpc.error.RPCError):
        world.user_b.env["pass.redemption.attempt"].search_read(
            [("venue_id", "=", world.venue_a)], ["reason"]
        )
    book = admin.env["pass.voucher"].read([ids[0]], ["book_id"])[0]["book_id"][0]
    assert world.user_b.env["pass.book"].search_count([("id", "=", book)]) == 0

    # B cannot redeem, check or undo anything in A's name
    before = len(_attempts(admin, world.venue_a))
    for method in ("redeem_code", "check_code"):
        with pytest.raises(odoorpc.error.RPCError) as err:
            getattr(Voucher_b, method)(codes[1], world.venue_a, world.workshop)
        assert "own venue" in str(err.value) or "votre propre lieu" in str(err.value)
    with pytest.raises(odoorpc.error.RPCError):
        world.user_b.execute_kw(
            "pass.voucher", "action_cancel_redemption", [[ids[0]], "mistake"]
        )
    assert len(_attempts(admin, world.venue_a)) == before
    states = admin.env["pass.voucher"].read(ids, ["state", "venue_id"])
    assert [s["state"] for s in states] == ["redeemed", "distributed"]
    assert states[0]["venue_id"][0] == world.venue_a
    # B redeeming the pass for itself works, and A does not see it
    assert Voucher_b.redeem_code(codes[1], world.venue_b, world.workshop)["ok"]
    assert Voucher_a.search_count([("id", "=", ids[1])]) == 0


def test_guessing_limit_per_client_ip(server, admin, world):
    """Wrong codes from one address count together, whatever the venue or
    user; the counter is taken in a transaction of its own (live server)."""
    Params = admin.env["ir.config_parameter"]
    Limits = admin.env["pass.rate.limit"]
    [vid], [code] = _fresh_codes(admin, world, 1)
    # Every test of this session comes from 127.0.0.1: start from zero.
    Limits.browse(Limits.search([("scope", "=", "ip")])).action_unblock()
    Params.set_param(IP_LIMIT_KEY, "3")
    try:
        for client, venue in (
            (world.user_a, world.venue_a),
            (world.user_b, world.venue_b),
            (world.user_a, world.venue_a),
        ):
            answer = client.env["pass.voucher"].check_code(
                _valid_unknown_code(), venue, world.workshop
            )
            assert answer["reason"] == "unknown_code"
        answer = world.user_b.env["pass.voucher"].redeem_code(
            code, world.venue_b, world.workshop
        )
        assert answer["reason"] == "too_many_attempts"
        assert _state(admin, vid) == "distributed"
        blocked = Limits.search_read([("blocked", "=", True)], ["scope", "ip"])
        assert [b["ip"] for b in blocked if b["scope"] == "ip"] == ["127.0.0.1"]
    finally:
        Params.set_param(IP_LIMIT_KEY, "100000")
        Limits.browse(Limits.search([("blocked", "=", True)])).action_unblock()
    answer = world.user_b.env["pass.voucher"].redeem_code(
        code, world.venue_b, world.workshop
    )
    assert answer["ok"], answer
