# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bounded code guessing: atomic counters per venue, per user and per client IP.

Every evaluation of a pass code (check or redemption, portal, RPC or back
office) first takes a slot in the counters of its venue, its user and its
client IP, atomically (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` in a
READ COMMITTED transaction of its own, committed at once). Past the limit the
attempt is refused with ``too_many_attempts`` before any code is looked at, so a
burst of concurrent requests never evaluates more codes than the limit.

Only refusals that look like guessing keep their slot (unknown code, mistyped
code); an accepted pass or a counter mistake (already used, wrong service)
gives its slot back. A slot taken by a transaction that failed is kept: the
error is on the safe side.

Windows are fixed: a key is blocked until its window (``window_start`` +
window) is over, and staff can lift a block.
"""

import contextlib
import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools.client import client_address

SCOPES = [("venue", "Venue"), ("user", "User"), ("ip", "Client IP")]

DEFAULT_LIMIT = 10
DEFAULT_IP_LIMIT = 30
DEFAULT_WINDOW = 15


class PassRateLimit(models.Model):
    _name = "pass.rate.limit"
    _description = "Pass code attempts counter (guessing limit)"
    _order = "blocked_until desc nulls last, window_start desc"
    _rec_name = "key"
    # No create_uid/write_uid: no foreign key to rows the caller's transaction
    # may not have committed (the counters live in a cursor of their own).
    _log_access = False

    scope = fields.Selection(SCOPES, required=True, readonly=True)
    key = fields.Char(required=True, readonly=True)
    # Plain ids, no foreign keys: the counters are written from a cursor of
    # their own, which must not wait on (or fail for) the caller's rows.
    venue_ref = fields.Integer(readonly=True, index="btree_not_null")
    user_ref = fields.Integer(readonly=True, index="btree_not_null")
    venue_id = fields.Many2one(
        "res.partner", string="Venue", compute="_compute_refs", search="_search_venue"
    )
    user_id = fields.Many2one(
        "res.users", string="User", compute="_compute_refs", search="_search_user"
    )
    ip = fields.Char(string="Client IP", readonly=True)
    window_start = fields.Datetime(readonly=True)
    count = fields.Integer(string="Attempts in window", readonly=True)
    max_count = fields.Integer(string="Limit", readonly=True)
    blocked_until = fields.Datetime(readonly=True, index="btree_not_null")
    blocked = fields.Boolean(compute="_compute_blocked", search="_search_blocked")

    _sql_constraints = [
        ("scope_key_unique", "unique(scope, key)", "One counter per key."),
    ]

    @api.depends("venue_ref", "user_ref")
    def _compute_refs(self):
        for counter in self:
            counter.venue_id = (
                self.env["res.partner"].browse(counter.venue_ref).exists()
                if counter.venue_ref
                else False
            )
            counter.user_id = (
                self.env["res.users"].browse(counter.user_ref).exists()
                if counter.user_ref
                else False
            )

    def _search_venue(self, operator, value):
        venues = self.env["res.partner"]._search([("id", operator, value)])
        if isinstance(value, str):
            venues = self.env["res.partner"]._search([("name", operator, value)])
        return [("venue_ref", "in", venues)]

    def _search_user(self, operator, value):
        users = self.env["res.users"]._search([("id", operator, value)])
        if isinstance(value, str):
            users = self.env["res.users"]._search([("name", operator, value)])
        return [("user_ref", "in", users)]

    @api.depends("blocked_until")
    def _compute_blocked(self):
        now = fields.Datetime.now()
        for counter in self:
            counter.blocked = bool(
                counter.blocked_until and counter.blocked_until > now
            )

    def _search_blocked(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        positive = (operator == "=") == value
        now = fields.Datetime.now()
        if positive:
            return [("blocked_until", ">", now)]
        return ["|", ("blocked_until", "=", False), ("blocked_until", "<=", now)]

    # ------------------------------------------------------------------ settings
    @api.model
    def _settings(self):
        # sudo: limits are read on behalf of venues' portal users.
        params = self.env["ir.config_parameter"].sudo()

        def number(name, default):
            try:
                return int(params.get_param(name, default))
            except (TypeError, ValueError):
                return default

        return {
            "venue": number("pass_numerique.max_refused_attempts", DEFAULT_LIMIT),
            "user": number("pass_numerique.max_refused_attempts", DEFAULT_LIMIT),
            "ip": number("pass_numerique.max_refused_attempts_ip", DEFAULT_IP_LIMIT),
            "window": max(
                1, number("pass_numerique.attempt_window_minutes", DEFAULT_WINDOW)
            ),
        }

    @api.model
    def _client_ip(self):
        return client_address()

    @api.model
    def _keys(self, venue):
        """(scope, key, venue, user, ip) of an attempt by the current user."""
        keys = [
            ("venue", str(venue.id), venue.id, None, None),
            ("user", str(self.env.uid), None, self.env.uid, None),
        ]
        ip = self._client_ip()
        if ip:
            keys.append(("ip", ip[:64], None, None, ip[:64]))
        return keys

    # ------------------------------------------------------------------ counting
    def _own_cursor(self):
        """A cursor of its own, committed at once, so that concurrent attempts
        see each other's slots whatever happens to the caller's transaction.

        Under Odoo's test runner the test's transaction is used instead: a
        test's counters are rolled back with it, as everything else it did.
        """
        if (
            getattr(threading.current_thread(), "testing", False)
            or self.env.registry.in_test_mode()
        ):
            return contextlib.nullcontext(self.env.cr)
        cr = self.env.registry.cursor()
        # No serialization failure on a hot counter: each UPSERT simply waits
        # for the previous one and adds to its result.
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        return cr

    @api.model
    def _take_slot(self, venue):
        """Count one attempt against the venue, the user and the client IP,
        in one statement.

        Returns (ticket, blocked_until): the ticket gives the slot back with
        ``_give_back``; blocked_until is a datetime when a limit is exceeded
        (the attempt must then be refused), else None.
        """
        settings = self._settings()
        window = timedelta(minutes=settings["window"])
        # The application's clock, as for every other date of the product.
        now = fields.Datetime.now()
        rows = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, 1, %s)",
                scope,
                key,
                venue_id,
                user_id,
                ip,
                now,
                settings[scope],
            )
            # Always in this order (venue, user, IP): concurrent attempts
            # lock the rows they share in the same order, never a deadlock.
            for scope, key, venue_id, user_id, ip in self._keys(venue)
            if settings[scope] > 0
        ]
        if not rows:
            return [], None
        with self._own_cursor() as cr:
            cr.execute(
                SQL(
                    """
                    INSERT INTO pass_rate_limit AS c
                           (scope, key, venue_ref, user_ref, ip, window_start,
                            count, max_count)
                    VALUES %(rows)s
                    ON CONFLICT (scope, key) DO UPDATE SET
                        count = CASE
                            WHEN c.window_start <= %(start)s THEN 1
                            ELSE c.count + 1 END,
                        window_start = CASE
                            WHEN c.window_start <= %(start)s THEN EXCLUDED.window_start
                            ELSE c.window_start END,
                        max_count = EXCLUDED.max_count,
                        -- Blocked while over the limit in force: raising the
                        -- limit in the settings lifts the blocks it no longer
                        -- justifies.
                        blocked_until = CASE
                            WHEN c.window_start <= %(start)s THEN NULL
                            WHEN c.count + 1 > EXCLUDED.max_count
                                THEN c.window_start + %(window)s
                            END
                    RETURNING id, window_start, blocked_until
                    """,
                    rows=SQL(", ").join(rows),
                    start=now - window,
                    window=window,
                )
            )
            result = cr.fetchall()
        ticket = [(counter_id, start) for counter_id, start, _until in result]
        blocked = [until for _id, _start, until in result if until]
        return ticket, max(blocked) if blocked else None

    @api.model
    def _give_back(self, ticket):
        """The attempt did not look like guessing: free its slots (in the
        same window only), in one statement."""
        if not ticket:
            return
        with self._own_cursor() as cr:
            cr.execute(
                SQL(
                    """
                    UPDATE pass_rate_limit c
                       SET count = greatest(c.count - 1, 0)
                      FROM (VALUES %s) AS t(id, window_start)
                     WHERE c.id = t.id AND c.window_start = t.window_start
                       AND c.blocked_until IS NULL
                    """,
                    SQL(", ").join(
                        SQL("(%s, %s::timestamp)", counter_id, start)
                        for counter_id, start in ticket
                    ),
                )
            )

    # ------------------------------------------------------------------ staff
    def action_unblock(self):
        """Lift a block (a venue that called the cooperative, say)."""
        if not self.env.user.has_group("pass_numerique.pass_numerique_group_manager"):
            raise AccessError(
                self.env._("Only a Pass Numérique manager can lift a block.")
            )
        self.check_access("read")
        self.env.cr.execute(
            SQL(
                "UPDATE pass_rate_limit SET count = 0, blocked_until = NULL "
                "WHERE id IN %s",
                tuple(self.ids) or (0,),
            )
        )
        self.invalidate_recordset()
        return True

    @api.autovacuum
    def _gc_counters(self):
        """Counters whose window ended a day ago are of no use any more."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM pass_rate_limit WHERE window_start < %s "
                "AND (blocked_until IS NULL OR blocked_until < %s)",
                fields.Datetime.now() - timedelta(days=1),
                fields.Datetime.now(),
            )
        )
