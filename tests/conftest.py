"""Integration tests through a live Odoo server (odoorpc over JSON-RPC).

`make test` creates a throw-away database and exports PASS_TEST_DB,
PASS_ODOO_CONF, PASS_ODOO_SRC and PASS_PYTHON; this conftest starts a real
Odoo server on a free port for the session and stops it at the end.
"""

import importlib.util
import os
import sys
import uuid

import odoorpc
import pytest

ADMIN_LOGIN = ADMIN_PASSWORD = "admin"


def _load(name, *path):
    """A module of the repository by its path (pure Python, standard library
    only): the tests run without the addons' packages."""
    path = os.path.join(os.path.dirname(__file__), "..", *path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The addon's code helpers, for tests that make well-formed codes.
pass_code = _load(
    "pass_code_for_tests", "addons", "pass_numerique", "tools", "pass_code.py"
)
# The redemption contract (API.md's refusal reasons), as the addon's tests
# state it.
api_contract = _load(
    "api_contract_for_tests", "addons", "pass_numerique", "tests", "api_contract.py"
)
# The server starter the benchmarks use too.
odoo_server = _load("odoo_server_for_tests", "scripts", "odoo_server.py")


@pytest.fixture(scope="session")
def server():
    missing = [
        name
        for name in ("PASS_TEST_DB", "PASS_ODOO_CONF", "PASS_ODOO_SRC", "PASS_PYTHON")
        if not os.environ.get(name)
    ]
    if missing:
        pytest.fail(
            "Run these tests with `make test` (missing environment: %s)."
            % ", ".join(missing)
        )
    db = os.environ["PASS_TEST_DB"]
    try:
        running = odoo_server.start(
            os.environ["PASS_PYTHON"],
            os.environ["PASS_ODOO_SRC"],
            os.environ["PASS_ODOO_CONF"],
            db,
            workers=2,
        )
    except odoo_server.ServerError as exc:
        pytest.fail(str(exc))
    yield {"db": db, "port": running.port, "host": odoo_server.HOST}
    running.stop()


def connect(server, login, password):
    odoo = odoorpc.ODOO(server["host"], port=server["port"], timeout=120)
    odoo.login(server["db"], login, password)
    return odoo


@pytest.fixture(scope="session")
def admin(server):
    return connect(server, ADMIN_LOGIN, ADMIN_PASSWORD)


IP_LIMIT_KEY = "pass_numerique.max_refused_attempts_ip"


@pytest.fixture(scope="session", autouse=True)
def _shared_client_ip(server, admin):
    """Every client of these tests is 127.0.0.1: the per-IP guessing limit
    would count all their wrong codes together. Tests of that limit set it
    themselves."""
    Params = admin.env["ir.config_parameter"]
    old = Params.get_param(IP_LIMIT_KEY, "30")
    Params.set_param(IP_LIMIT_KEY, "100000")
    yield
    Params.set_param(IP_LIMIT_KEY, old)


@pytest.fixture
def uid_suffix():
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def make_user(server, admin):
    """Create a user in the given groups (xml ids); returns (login, password, id)."""

    def _make(groups, login=None):
        login = login or f"user-{uuid.uuid4().hex[:10]}"
        group_ids = [admin.env.ref(xmlid).id for xmlid in groups]
        user_id = admin.env["res.users"].create(
            {
                "name": login,
                "login": login,
                "password": login,
                "groups_id": [(6, 0, group_ids)],
            }
        )
        return login, login, user_id

    return _make


@pytest.fixture(scope="session")
def registry():
    """The Odoo registry of the test database, loaded in this process (for
    tests that need real database transactions of their own: two cursors
    at once, two cron runners). Odoo's configuration is parsed once per
    process (it cannot be parsed twice)."""
    missing = [
        name
        for name in ("PASS_TEST_DB", "PASS_ODOO_CONF", "PASS_ODOO_SRC")
        if not os.environ.get(name)
    ]
    if missing:
        pytest.fail("Run these tests with `make test` (missing %s)." % missing)
    if os.environ["PASS_ODOO_SRC"] not in sys.path:
        sys.path.insert(0, os.environ["PASS_ODOO_SRC"])
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        ["-c", os.environ["PASS_ODOO_CONF"], "--log-level=warn"]
    )
    return Registry(os.environ["PASS_TEST_DB"])
