"""The pieces the live-server tests build their worlds from, through RPC
(an odoorpc ``env``, as admin): funders, active programmes, venues and the
portal users of an organisation. Each returns the new record's id (a portal
user: its login, which is its password too). And ``at_once``: many clients
calling at the same instant.

A helper module, not a test module: the ``test_api_*`` modules import it.
"""

import datetime
import threading
import uuid

PORTAL = "base.group_portal"


def make_funder(env, name, funder_type="departement"):
    """A funder of type ``funder_type``."""
    return env["res.partner"].create(
        {"name": name, "is_pass_funder": True, "pass_funder_type": funder_type}
    )


def make_program(env, code, name, fundings, **vals):
    """An active programme of 10.00 passes, started 10 days ago and valid
    700 more days; ``fundings``: (funder id, share) pairs; ``vals``
    override any of it."""
    today = datetime.date.today()
    Program = env["pass.program"]
    program_id = Program.create(
        {
            "name": name,
            "code": code,
            "face_value": 10.0,
            "date_start": str(today - datetime.timedelta(days=10)),
            "date_end": str(today + datetime.timedelta(days=700)),
            "funding_ids": [
                (0, 0, {"partner_id": funder, "share": share})
                for funder, share in fundings
            ],
            **vals,
        }
    )
    Program.browse(program_id).action_activate()
    return program_id


def make_venue(env, name, zip_code, services, city="Bordeaux", qualify=True):
    """A venue in France offering ``services`` (ids), qualified unless
    ``qualify`` is false."""
    Partner = env["res.partner"]
    venue_id = Partner.create(
        {
            "name": name,
            "is_company": True,
            "is_pass_venue": True,
            "zip": zip_code,
            "city": city,
            "country_id": env.ref("base.fr").id,
            "pass_service_ids": [(6, 0, services)],
        }
    )
    # Venues are born candidates; only the manager's action qualifies.
    if qualify:
        Partner.browse(venue_id).action_pass_qualify()
    return venue_id


def make_portal_user(env, organisation):
    """A portal user of ``organisation`` (its contact "Accueil <login>" is a
    child of it); returns its login, which is its password."""
    login = f"venue-{uuid.uuid4().hex[:10]}"
    contact = env["res.partner"].create(
        {"name": f"Accueil {login}", "parent_id": organisation}
    )
    env["res.users"].create(
        {
            "name": login,
            "login": login,
            "password": login,
            "partner_id": contact,
            "groups_id": [(6, 0, [env.ref(PORTAL).id])],
        }
    )
    return login


def at_once(call, arguments, timeout=300):
    """``call(*args)`` for each tuple of ``arguments``, each in a thread of its
    own, all let go at the same instant; returns (answers, errors): the
    answers, and the repr of every exception raised (any error at all is
    for the test to fail on)."""
    barrier = threading.Barrier(len(arguments))
    answers, errors = [], []
    lock = threading.Lock()

    def run(args):
        barrier.wait()
        try:
            answer = call(*args)
        except Exception as exc:  # reported to the test
            with lock:
                errors.append(repr(exc))
            return
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run, args=(args,)) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return answers, errors
