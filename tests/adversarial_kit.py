"""Tools of the adversarial suite (tests/test_adversarial.py).

- :class:`Rpc`: raw JSON-RPC ``execute_kw`` through ``/jsonrpc`` that keeps the
  whole answer, error data and server traceback included, as the attacker
  sees it;
- :class:`CodeScanner`: finds pass codes (whole, in printed groups, or their
  last 8 digits) in any text, in base64 payloads and in PDF streams;
- :func:`snapshot`: the money and workflow state of the database, to assert
  that nothing changed;
- :class:`Portal`: a logged-in browser session (cookies, CSRF token);
- :func:`server_methods`: every public method of the two addons, listed by
  the server itself (scripts/list_rpc_methods.py).
"""

import base64
import binascii
import json
import os
import re
import subprocess
import time
import zlib

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# JSON-RPC errors that are refusals, not crashes.
REFUSALS = (
    "odoo.exceptions.UserError",
    "odoo.exceptions.AccessError",
    "odoo.exceptions.AccessDenied",
    "odoo.exceptions.MissingError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.RedirectWarning",
    "werkzeug.exceptions.NotFound",
    "werkzeug.exceptions.BadRequest",
    "werkzeug.exceptions.Forbidden",
    "werkzeug.exceptions.Unauthorized",
    "werkzeug.exceptions.UnprocessableEntity",
    "werkzeug.exceptions.TooManyRequests",
)


class RpcError(Exception):
    """A JSON-RPC error answer; ``data`` is the server's error dict."""

    def __init__(self, error, text):
        self.error = error
        self.data = error.get("data") or {}
        self.name = self.data.get("name", "")
        self.text = text
        super().__init__(f"{self.name}: {self.data.get('message', '')}")


class Rpc:
    """One user's JSON-RPC session, as odoorpc or the web client opens it:
    logged in once through /web/session/authenticate, then every call goes
    to /web/dataset/call_kw (the same public-method check as execute_kw)."""

    def __init__(self, server, login, password, timeout=120):
        self.base = f"http://{server['host']}:{server['port']}"
        self.db = server["db"]
        self.login = login
        self.timeout = timeout
        self.http = requests.Session()
        info = self._json(
            "/web/session/authenticate",
            {"db": self.db, "login": login, "password": password},
        )
        self.uid = info.get("uid")
        assert self.uid, f"cannot log in as {login}"

    def _post(self, path, params):
        payload = {"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}
        for attempt in range(3):
            try:
                response = self.http.post(
                    self.base + path, json=payload, timeout=self.timeout
                )
            except requests.ConnectionError:
                # A burst of connections overflows the prefork server's
                # listen backlog (8 per worker): the connection is reset
                # before the request is read. Try again on a new one.
                if attempt == 2:
                    raise
                time.sleep(0.2 * (attempt + 1))
                continue
            return response.status_code, response.text

    def _json(self, path, params):
        _status, text = self._post(path, params)
        answer = json.loads(text)
        if "error" in answer:
            raise RpcError(answer["error"], text)
        return answer.get("result")

    def raw(self, model, method, args, kwargs=None):
        """(HTTP status, full answer text) of one call, whatever it says."""
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {
                "model": model,
                "method": method,
                "args": list(args),
                "kwargs": kwargs or {},
            },
        )

    def call(self, model, method, *args, **kwargs):
        """The result, or :class:`RpcError` with the server's error data."""
        return self._json(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


def format_code(code):
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


# Digits separated by one blank (plain, no-break, narrow no-break), a dash or
# a dot are read as one number: "1234 5678" is "12345678".
_JOIN = re.compile(r"(?<=\d)[ \u00a0\u202f\-.](?=\d)")
_DIGITS = re.compile(r"\d{8,}")
_B64 = re.compile(r"[A-Za-z0-9+/=\n]{200,}")
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_HEX = re.compile(rb"<((?:[0-9A-Fa-f]{2})+)>")


class CodeScanner:
    """Finds the codes of a set of passes in a text: the whole code, its
    printed groups, or its last 8 digits (a unique part of it)."""

    def __init__(self, codes):
        self.codes = set(codes)
        self.by_tail = {}
        for code in self.codes:
            self.by_tail.setdefault(code[-8:], set()).add(code)

    def find(self, text, exclude=()):
        """Codes of the set found in ``text`` (str or bytes), minus ``exclude``."""
        found = set()
        for chunk, whole_only in self._texts(text):
            joined = _JOIN.sub("", chunk)
            for run in _DIGITS.findall(joined):
                if whole_only:
                    # Decoded files are full of numbers (offsets, drawing
                    # operators) that the joining above runs together: there
                    # only a whole code counts, or 8 digits would match by
                    # chance once the database holds thousands of passes.
                    for start in range(len(run) - 15):
                        if run[start : start + 16] in self.codes:
                            found.add(run[start : start + 16])
                    continue
                for start in range(len(run) - 7):
                    found |= self.by_tail.get(run[start : start + 8], set())
        return found - set(exclude)

    def _texts(self, text, depth=0):
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        yield text, bool(depth)
        if depth:
            return
        # Files travel base64-encoded (reports, exports): look inside too,
        # and inside the compressed streams of a PDF.
        for blob in _B64.findall(text):
            try:
                raw = base64.b64decode(blob.replace("\n", ""), validate=False)
            except (binascii.Error, ValueError):
                continue
            yield from self._texts(raw, depth + 1)
            for stream in _STREAM.findall(raw):
                content = _pdf_stream(stream.strip())
                if content:
                    yield content.decode("latin-1"), True
                    # ReportLab writes text in hex strings: <3734 ...> Tj
                    yield (
                        "".join(
                            bytes.fromhex(h.decode()).decode("latin-1")
                            for h in _HEX.findall(content)
                        ),
                        True,
                    )


def _pdf_stream(stream):
    """The content of a PDF stream (ASCII85 and/or Flate), or b""."""
    try:
        if stream.endswith(b"~>"):
            stream = base64.a85decode(stream.removeprefix(b"<~")[:-2])
        return zlib.decompress(stream)
    except (ValueError, zlib.error):
        return b""


# ------------------------------------------------------------------ snapshot
SNAPSHOT = {
    "pass.voucher": [
        "state",
        "venue_id",
        "remittance_id",
        "beneficiary_id",
        "service_id",
        "amount",
        "redeemed_at",
        "book_id",
    ],
    "pass.book": ["holder_id", "state", "funders_paid", "program_id"],
    "pass.remittance": ["state", "move_id", "venue_id", "amount_total"],
    "pass.program": ["state", "face_value"],
    "pass.beneficiary": ["prescriber_id"],
    "res.partner": ["pass_venue_state", "is_pass_venue"],
}


def _plain(value):
    # many2one values are [id, name]: keep the id (names are translated)
    return value[0] if isinstance(value, list) and value else value


def snapshot(rpc, context):
    """{model: {id: (field values)}} of every record of the Pass models, read
    by a user who sees every company (``context`` carries them)."""
    context = {**context, "active_test": False}
    result = {}
    for model, fnames in SNAPSHOT.items():
        domain = [("is_pass_venue", "=", True)] if model == "res.partner" else []
        rows = rpc.call(
            model,
            "search_read",
            domain,
            fnames,
            context=context,
            order="id",
        )
        result[model] = {
            row["id"]: tuple(_plain(row[f]) for f in fnames) for row in rows
        }
    return result


def snapshot_diff(before, after, limit=20):
    """Readable differences between two snapshots ([] when identical)."""
    lines = []
    for model, rows in before.items():
        new = after.get(model, {})
        for rid in sorted(set(rows) | set(new)):
            if rows.get(rid) != new.get(rid):
                lines.append(f"{model}({rid}): {rows.get(rid)} -> {new.get(rid)}")
    return lines[:limit] + (
        [f"... {len(lines) - limit} more"] if len(lines) > limit else []
    )


# ------------------------------------------------------------------ portal
_CSRF = re.compile(r'name="csrf_token"\s+value="([0-9a-f]+o?[0-9]*)"')
_CSRF_JS = re.compile(r'csrf_token\s*:\s*"([0-9a-f]+o?[0-9]*)"')


class Portal:
    """A browser session logged in through /web/login."""

    def __init__(self, server, login=None, password=None):
        self.base = f"http://{server['host']}:{server['port']}"
        self.http = requests.Session()
        if login:
            token = self.csrf("/web/login")
            response = self.http.post(
                self.base + "/web/login",
                data={
                    "login": login,
                    "password": password,
                    "csrf_token": token,
                    "redirect": "/my",
                },
                allow_redirects=False,
                timeout=60,
            )
            assert response.status_code in (302, 303), (
                f"login of {login} failed: {response.status_code}"
            )

    def csrf(self, path):
        page = self.http.get(self.base + path, timeout=60).text
        match = _CSRF.search(page) or _CSRF_JS.search(page)
        assert match, f"no CSRF token in {path}"
        return match.group(1)

    def get(self, path, **kwargs):
        return self.http.get(self.base + path, timeout=120, **kwargs)

    def post(self, path, **kwargs):
        return self.http.post(self.base + path, timeout=120, **kwargs)

    def json(self, path, params):
        return self.http.post(
            self.base + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params, "id": 1},
            timeout=120,
        )


# ------------------------------------------------------------------ methods
def server_methods(db):
    """[{model, method, api, ...}] from scripts/list_rpc_methods.py, run with
    the server's Python on the test database."""
    completed = subprocess.run(
        [
            os.environ["PASS_PYTHON"],
            os.path.join(REPO, "scripts", "list_rpc_methods.py"),
            "-c",
            os.environ["PASS_ODOO_CONF"],
            "-d",
            db,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)
