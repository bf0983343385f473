# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""End of validity of a programme, as the scheme practised it: reminders to
the funders and prescribers 30 and 15 days before the end date, expiry of the
unused passes once the end date plus the grace period is over, then one
reconciliation per funder and the unused value refunded or retained."""

import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from odoo.addons.pass_numerique.models.pass_book import UNUSED_STATES
from odoo.addons.pass_numerique.tools.guard import guarded_write

from .pass_expiry import UNUSED_END_STATES, funder_books

_logger = logging.getLogger(__name__)

REMINDER_DAYS = (30, 15)


class PassProgram(models.Model):
    _inherit = "pass.program"

    pass_reminder_30_date = fields.Date(
        string="D-30 reminder sent on", readonly=True, copy=False
    )
    pass_reminder_15_date = fields.Date(
        string="D-15 reminder sent on", readonly=True, copy=False
    )
    pass_expiry_date = fields.Date(
        string="End of validity processed on",
        readonly=True,
        copy=False,
        help="Date at which the unused passes expired and the funders' "
        "reconciliation was made.",
    )
    reconciliation_ids = fields.One2many(
        "pass.reconciliation", "program_id", string="End-of-validity reconciliations"
    )

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_pass_end_of_validity(self, today=None):
        """Daily: send the J-30 / J-15 reminders, then close the validity of
        the programmes whose end date plus grace period is over."""
        today = today or fields.Date.context_today(self)
        soon = self.search(
            [
                ("state", "=", "active"),
                ("date_end", ">=", today),
                ("date_end", "<=", today + timedelta(days=max(REMINDER_DAYS))),
            ]
        )
        soon._pass_send_reminders(today)
        over = self.search(
            [
                ("state", "in", ("active", "closed")),
                ("pass_expiry_date", "=", False),
                ("date_end", "<", today),
            ]
        ).filtered(lambda p: p._pass_expiry_deadline() < today)
        for program in over:
            # One programme's problem (e.g. a missing account) must not stop
            # the others: it is rolled back alone and logged.
            try:
                with self.env.cr.savepoint():
                    program._pass_expire_and_reconcile(today)
            except UserError as exc:
                _logger.warning(
                    "End of validity of programme %s not processed: %s",
                    program.code,
                    exc,
                )
        return True

    # ------------------------------------------------------------------ reminders
    def _pass_send_reminders(self, today):
        """Each reminder once per programme: J-30 while more than 15 days are
        left, J-15 from then on."""
        template = self.env.ref("pass_settlement.mail_template_pass_end_of_validity")
        for program in self:
            days_left = (program.date_end - today).days
            if days_left < 0:
                continue
            if days_left <= 15:
                days, field = 15, "pass_reminder_15_date"
            elif days_left <= 30:
                days, field = 30, "pass_reminder_30_date"
            else:
                continue
            # Lock the programme: two concurrent crons never send twice.
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM pass_program WHERE id = %(id)s FOR UPDATE",
                    id=program.id,
                )
            )
            program.invalidate_recordset([field])
            if program[field]:
                continue
            program._pass_remind(template, days, days_left, today)
            program[field] = today
        return True

    def _pass_reminder_recipients(self):
        """{partner: unused passes} for the funders (all unused passes of the
        programme) and the prescribers (unused passes of the books they hold)."""
        self.ensure_one()
        Voucher = self.env["pass.voucher"]
        per_book = Voucher._read_group(
            [("program_id", "=", self.id), ("state", "in", UNUSED_STATES)],
            ["book_id"],
            ["__count"],
        )
        total = sum(count for _book, count in per_book)
        recipients = {funder: total for funder in self.funding_ids.partner_id}
        for book, count in per_book:
            holder = book.holder_id.commercial_partner_id
            if holder.is_pass_prescriber and holder not in recipients:
                recipients[holder] = 0
            if holder.is_pass_prescriber and holder not in self.funding_ids.partner_id:
                recipients[holder] += count
        return recipients

    def _pass_remind(self, template, days, days_left, today):
        self.ensure_one()
        recipients = self._pass_reminder_recipients()
        deadline = self._pass_expiry_deadline()
        for partner, unused in recipients.items():
            # Each recipient reads the reminder in their own language.
            lang = partner.lang or self.env.lang
            render_context = {
                "recipient": partner,
                "unused_count": unused,
                "days": days,
                "days_left": days_left,
                "date_end": format_date(self.env, self.date_end, lang_code=lang),
                "deadline": format_date(self.env, deadline, lang_code=lang),
                "is_funder": partner in self.funding_ids.partner_id,
            }
            localized = template.with_context(lang=lang)
            subject = localized._render_field(
                "subject", self.ids, add_context=render_context
            )[self.id]
            body = localized._render_field(
                "body_html", self.ids, engine="qweb", add_context=render_context
            )[self.id]
            self.message_post(
                subject=subject,
                body=body,
                partner_ids=partner.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
            )
        user = self.create_uid
        if not user.active or user.share:
            user = self.env.user
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=today,
            summary=self.env._(
                "End of validity in %(days)s days: remind funders and prescribers",
                days=days,
            ),
            note=self.env._(
                "Programme %(program)s ends on %(date)s. D-%(days)s reminder sent to: "
                "%(recipients)s.",
                program=self.display_name,
                date=format_date(self.env, self.date_end),
                days=days,
                recipients=", ".join(p.display_name for p in recipients) or "-",
            ),
            user_id=user.id,
        )

    # ------------------------------------------------------------------ expiry
    def action_pass_end_of_validity(self):
        """Button: close the validity now (only once the grace period is over)."""
        if not self.env.su and not self.env.user.has_group(
            "pass_settlement.group_pass_accountant"
        ):
            raise AccessError(
                self.env._(
                    "Only an accountant can process the end of validity of a programme."
                )
            )
        today = fields.Date.context_today(self)
        for program in self:
            if program._pass_expiry_deadline() >= today:
                raise UserError(
                    self.env._(
                        "The passes of programme %(program)s can be presented until "
                        "%(date)s (end of validity and grace period): the end of "
                        "validity cannot be processed yet.",
                        program=program.display_name,
                        date=format_date(self.env, program._pass_expiry_deadline()),
                    )
                )
        for program in self:
            program._pass_expire_and_reconcile(today)
        return True

    def _pass_expire_and_reconcile(self, today):
        """Expire the unused passes, then reconcile and post the funders'
        unused value. Idempotent: passes already handled are never handled
        again; a second run with nothing new does nothing."""
        self.ensure_one()
        self.env.cr.execute(
            SQL("SELECT id FROM pass_program WHERE id = %(id)s FOR UPDATE", id=self.id)
        )
        if self._pass_expiry_deadline() >= today:
            return self.env["pass.reconciliation"]
        self.company_id._pass_check_settlement_config()
        unused = self.env["pass.voucher"].search(
            [("program_id", "=", self.id), ("state", "in", UNUSED_STATES)]
        )
        with guarded_write():
            unused.write({"state": "expired"})
        reconciliation = self._pass_create_reconciliation(today)
        if reconciliation:
            reconciliation.action_validate()
        vals = {"pass_expiry_date": today}
        if self.state == "active":
            vals["state"] = "closed"
        with guarded_write():
            # sudo: closing the programme is part of the end of validity, an
            # accountant's task (checked by the caller); programmes are
            # otherwise written by managers only.
            self.sudo().write(vals)
        _logger.info(
            "End of validity of programme %s: %s passes expired", self.code, len(unused)
        )
        return reconciliation

    def _pass_create_reconciliation(self, today):
        """A draft reconciliation for the unused passes not handled yet
        (none if there is nothing new and a reconciliation already exists)."""
        self.ensure_one()
        Voucher = self.env["pass.voucher"]
        books_by_funder = {
            funder: per_line
            for (program, funder), per_line in funder_books(self.env, self).items()
            if program == self
        }
        todo = Voucher.search(
            [
                ("program_id", "=", self.id),
                ("state", "in", UNUSED_END_STATES),
                ("reconciliation_id", "=", False),
            ]
        )
        if not todo and self.reconciliation_ids:
            return self.env["pass.reconciliation"]
        currency = self.currency_id
        shares = {f.partner_id: f.share for f in self.funding_ids}
        lines = []
        for funder, cents in self._pass_funder_cents():
            per_line = books_by_funder.get(funder, {})
            books = (
                self.env["pass.book"].union(*per_line.values())
                if per_line
                else self.env["pass.book"]
            )
            counts = defaultdict(int)
            for state, count in Voucher._read_group(
                [("book_id", "in", books.ids)], ["state"], ["__count"]
            ):
                counts[state] = count
            origin = {}
            for inv_line, line_books in per_line.items():
                count = len(line_books.voucher_ids & todo)
                if count:
                    origin[str(inv_line.id)] = count
            bought = sum(counts.values())
            redeemed = counts["redeemed"] + counts["settled"]
            unused = sum(origin.values())
            unit = cents * currency.rounding
            lines.append(
                {
                    "partner_id": funder.id,
                    "share": shares[funder],
                    "unit_amount": unit,
                    "count_bought": bought,
                    "count_redeemed": redeemed,
                    "count_settled": counts["settled"],
                    "count_unused": unused,
                    "amount_bought": currency.round(unit * bought),
                    "amount_redeemed": currency.round(unit * redeemed),
                    "amount_settled": currency.round(unit * counts["settled"]),
                    "amount_unused": currency.round(unit * unused),
                    "origin_line_data": origin,
                }
            )
        with guarded_write():
            reconciliation = self.env["pass.reconciliation"].create(
                {
                    "name": self.env._(
                        "End of validity %(program)s (%(date)s)",
                        program=self.code,
                        date=format_date(self.env, today),
                    ),
                    "program_id": self.id,
                    "company_id": self.company_id.id,
                    "currency_id": currency.id,
                    "date": today,
                    "unused_policy": self.unused_policy,
                    "line_ids": [fields.Command.create(vals) for vals in lines],
                }
            )
            todo.write({"reconciliation_id": reconciliation.id})
        return reconciliation

    def action_view_reconciliations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pass_settlement.pass_reconciliation_action"
        )
        action["domain"] = [("program_id", "=", self.id)]
        return action
