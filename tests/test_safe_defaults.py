"""Safe defaults of the shipped configuration (issue #11, item 6).

Through the live server that conftest starts with the generated configuration:
the database manager is closed (no list of databases, no backup, whatever
master password is sent, "admin" above all), and the configuration itself has
``list_db = False`` and a random master password readable by its owner only.
The production template keeps the same safe values.
"""

import configparser
import json
import os
import stat
import urllib.error
import urllib.parse
import urllib.request

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _post(server, path, data, content_type):
    request = urllib.request.Request(
        f"http://{server['host']}:{server['port']}{path}",
        data=data,
        headers={"Content-Type": content_type},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def _jsonrpc(server, path, params):
    body = json.dumps(
        {"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}
    ).encode()
    status, _ctype, raw = _post(server, path, body, "application/json")
    return status, json.loads(raw)


def _read_conf(path):
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser["options"]


@pytest.fixture(scope="module")
def conf_path():
    path = os.environ.get("PASS_ODOO_CONF")
    if not path:
        pytest.fail("Run these tests with `make test` (PASS_ODOO_CONF is missing).")
    return path


def test_generated_conf_closes_the_database_manager(conf_path):
    options = _read_conf(conf_path)
    assert options["list_db"].strip().lower() in ("false", "0")
    password = options["admin_passwd"].strip()
    assert password not in ("", "admin", "@ADMIN_PASSWD@")
    assert len(password) >= 20
    # The configuration carries the master password: its owner only reads it.
    assert stat.S_IMODE(os.stat(conf_path).st_mode) & 0o077 == 0
    # The password is the one generated once into the cache, which only its
    # owner reads too.
    cache = os.path.dirname(os.path.dirname(conf_path))
    secret = os.path.join(cache, "master_password")
    assert os.path.isfile(secret)
    assert stat.S_IMODE(os.stat(secret).st_mode) & 0o077 == 0
    with open(secret) as handle:
        assert handle.readline().strip() == password


def test_database_list_refused(server):
    """Anonymous listing of the databases, by the web route and by the RPC
    service odoorpc's ``db.list()`` calls: refused, no name in the answer."""
    status, answer = _jsonrpc(server, "/web/database/list", {})
    assert status == 200
    assert "error" in answer and "result" not in answer, answer
    assert server["db"] not in json.dumps(answer.get("result", ""))
    status, answer = _jsonrpc(
        server, "/jsonrpc", {"service": "db", "method": "list", "args": []}
    )
    assert "error" in answer and "result" not in answer, answer


@pytest.mark.parametrize("master_pwd", ["admin", "", "wrong-password"])
def test_database_backup_refused(server, master_pwd):
    """No dump for an anonymous caller, and "admin" no longer sets the master
    password: the dump stays refused right after."""
    data = urllib.parse.urlencode(
        {"master_pwd": master_pwd, "name": server["db"], "backup_format": "zip"}
    ).encode()
    for _attempt in range(2):
        status, ctype, body = _post(
            server, "/web/database/backup", data, "application/x-www-form-urlencoded"
        )
        assert "octet-stream" not in ctype, (status, ctype)
        assert not body.startswith(b"PK"), "a zip dump was streamed"
        assert b"PGDMP" not in body[:4096], "a PostgreSQL dump was streamed"
    # Nor over RPC.
    _status, answer = _jsonrpc(
        server,
        "/jsonrpc",
        {"service": "db", "method": "dump", "args": [master_pwd, server["db"], "zip"]},
    )
    assert "error" in answer and "result" not in answer


def test_master_password_cannot_be_taken_over(server):
    """ "admin" is not the master password, so it cannot be replaced by the
    caller's; the caller's password then opens nothing."""
    form = "application/x-www-form-urlencoded"
    _post(
        server,
        "/web/database/change_password",
        urllib.parse.urlencode(
            {"master_pwd": "admin", "master_pwd_new": "attacker-pw"}
        ).encode(),
        form,
    )
    status, ctype, body = _post(
        server,
        "/web/database/backup",
        urllib.parse.urlencode(
            {"master_pwd": "attacker-pw", "name": server["db"], "backup_format": "zip"}
        ).encode(),
        form,
    )
    assert "octet-stream" not in ctype, (status, ctype)
    assert not body.startswith(b"PK")


def test_production_template_is_safe():
    options = _read_conf(os.path.join(REPO, "config", "odoo.prod.conf.example"))
    assert options["list_db"].strip() == "False"
    assert options["proxy_mode"].strip() == "True"
    assert options["http_interface"].strip() == "127.0.0.1"
    assert int(options["workers"]) > 0
    assert int(options["max_cron_threads"]) > 0
    assert options["dbfilter"].strip().startswith("^")
    assert options["dbfilter"].strip().endswith("$")
    assert options["admin_passwd"].strip() not in ("", "admin")
    assert options["logfile"].strip()
    for limit in ("limit_memory_soft", "limit_memory_hard", "limit_time_cpu"):
        assert int(options[limit]) > 0
    assert options["without_demo"].strip() == "all"
