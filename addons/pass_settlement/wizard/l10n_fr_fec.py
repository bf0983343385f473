# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The FEC carries the funder or venue on the settlement's accounts.

Odoo's French FEC export (``l10n_fr.fec.export.wizard.generate_fec``) fills
the auxiliary columns (``CompAuxNum``, ``CompAuxLib``) only on receivable
and payable accounts, and sums every other account into one opening line.
The settlement's third-party accounts are neither: 467100 (the funders'
money, a current liability: a payable-typed account cannot carry sale
invoice lines) and 418110 (passes to invoice, a current asset). Their
per-funder detail is what the tax authorities' check (A47 A-1 LPF) and the
accountant need, so the export is completed afterwards:

- each line of the period on one of these accounts gets its partner, with
  Odoo's own formatting (the partner's reference, else its id; its name);
- the opening balance of such an account is split per partner, in place of
  Odoo's single line, like Odoo's opening lines of receivables.

Every other row of Odoo's file is left as Odoo wrote it (the file is read
back and written with the same CSV dialect, which gives the same bytes).
The venues' payable (401800) is payable-typed: Odoo already carries the
venue on it.
"""

import csv
import io

from odoo import fields, models
from odoo.tools import SQL

PASS_AUX_ACCOUNT_FIELDS = (
    "pass_liability_account_id",
    "pass_to_invoice_account_id",
    "pass_venue_payable_account_id",
)
# Account types on which Odoo's export already writes the partner.
ODOO_AUX_TYPES = ("asset_receivable", "liability_payable")
# Odoo's FEC columns: CompteNum, CompAuxNum, CompAuxLib.
COL_ACCOUNT, COL_AUX_NUM, COL_AUX_LIB = 4, 6, 7


class FecExportWizard(models.TransientModel):
    _inherit = "l10n_fr.fec.export.wizard"

    def _pass_aux_accounts(self):
        """The settlement's accounts of the exported companies on which Odoo
        writes no partner."""
        companies = self.env.company._accessible_branches()
        accounts = self.env["account.account"]
        for fname in PASS_AUX_ACCOUNT_FIELDS:
            accounts |= companies.mapped(fname)
        return accounts.filtered(lambda a: a.account_type not in ODOO_AUX_TYPES)

    def generate_fec(self):
        res = super().generate_fec()
        accounts = self._pass_aux_accounts()
        if not accounts:
            return res
        content = res["file_content"].decode()
        rows = list(csv.reader(io.StringIO(content, newline=""), delimiter="|"))
        n_lines = self.env["account.move.line"].search_count(self._pass_lines_domain())
        n_opening = len(rows) - 1 - n_lines
        header, opening, lines = (
            rows[:1],
            rows[1 : 1 + n_opening],
            rows[1 + n_opening :],
        )
        for position, aux_num, aux_lib in self._pass_lines_aux(accounts):
            lines[position][COL_AUX_NUM] = aux_num
            lines[position][COL_AUX_LIB] = aux_lib
        opening = self._pass_split_opening(opening, accounts)
        with io.StringIO() as fecfile:
            # Odoo's dialect (generate_fec): same bytes for the same values.
            writer = csv.writer(fecfile, delimiter="|", lineterminator="\r\n")
            writer.writerows(header + opening + lines)
            res["file_content"] = fecfile.getvalue()[:-2].encode()
        return res

    def _pass_lines_domain(self):
        # The domain of Odoo's "lines" section.
        return [
            *self._get_base_domain(),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
        ]

    def _pass_lines_aux(self, accounts):
        """(position in the lines section, CompAuxNum, CompAuxLib) of the
        period's lines on ``accounts`` that have a partner, the position
        numbered in Odoo's order of the section (``date, move_name, id``)."""
        query = self.env["account.move.line"]._search(
            self._pass_lines_domain(), order="date, move_name, id"
        )
        partner = SQL.identifier(
            query.left_join(
                "account_move_line", "partner_id", "res_partner", "id", "partner_id"
            )
        )
        order, query.order = query.order, None
        ranked = query.select(
            SQL(
                """
                ROW_NUMBER() OVER (ORDER BY %(order)s) - 1 AS position,
                account_move_line.account_id IN %(accounts)s
                    AND account_move_line.partner_id IS NOT NULL AS ours,
                CASE WHEN %(partner)s.ref IS NULL OR %(partner)s.ref = ''
                     THEN %(partner)s.id::text
                     ELSE replace(%(partner)s.ref, '|', '/')
                END AS aux_num,
                COALESCE(REGEXP_REPLACE(replace(%(partner)s.name, '|', '/'),
                                        '[\\t\\r\\n]', ' ', 'g'), '') AS aux_lib
                """,
                order=order,
                accounts=tuple(accounts.ids),
                partner=partner,
            )
        )
        self.env.cr.execute(
            SQL(
                "SELECT position, aux_num, aux_lib FROM (%s) AS ranked WHERE ours",
                ranked,
            )
        )
        return self.env.cr.fetchall()

    def _pass_split_opening(self, opening, accounts):
        """Odoo's opening rows with the single row of each of ``accounts``
        replaced by one row per partner (Odoo's receivable formatting)."""
        per_account = self._pass_opening_per_partner(accounts)
        result = []
        for row in opening:
            split = per_account.get(row[COL_ACCOUNT])
            if split is not None and not row[COL_AUX_NUM]:
                result.extend(split)
            else:
                result.append(row)
        return result

    def _pass_opening_per_partner(self, accounts):
        """{account code: [opening rows, one per partner]} of ``accounts``,
        built like Odoo's opening rows of receivables."""
        query = self.env["account.move.line"]._search(
            [
                *self._get_base_domain(),
                ("date", "<", self.date_from),
                ("account_id", "in", accounts.ids),
            ]
        )
        query.order = None
        partner = SQL.identifier(
            query.left_join(
                "account_move_line", "partner_id", "res_partner", "id", "partner_id"
            )
        )
        account_alias = query.left_join(
            "account_move_line", "account_id", "account_account", "id", "account_id"
        )
        account = SQL.identifier(account_alias)
        Account = self.env["account.account"]
        aa_code = Account._field_to_sql(account_alias, "code", query)
        aa_name = Account._field_to_sql(account_alias, "name")
        date_from = fields.Date.to_string(self.date_from).replace("-", "")
        sql = query.select(
            SQL(
                """
                'OUV' AS JournalCode,
                'Balance initiale' AS JournalLib,
                'OUVERTURE/' || %(year)s AS EcritureNum,
                %(date_from)s AS EcritureDate,
                MIN(%(aa_code)s) AS CompteNum,
                replace(replace(MIN(%(aa_name)s), '|', '/'), '\t', '') AS CompteLib,
                COALESCE(NULLIF(replace(%(partner)s.ref, '|', '/'), ''),
                         %(partner)s.id::text) AS CompAuxNum,
                COALESCE(replace(%(partner)s.name, '|', '/'), '') AS CompAuxLib,
                '-' AS PieceRef,
                %(date_from)s AS PieceDate,
                '/' AS EcritureLib,
                replace(CASE WHEN sum(account_move_line.balance) <= 0 THEN '0,00'
                        ELSE to_char(SUM(account_move_line.balance),
                                     '000000000000000D99') END, '.', ',') AS Debit,
                replace(CASE WHEN sum(account_move_line.balance) >= 0 THEN '0,00'
                        ELSE to_char(-SUM(account_move_line.balance),
                                     '000000000000000D99') END, '.', ',') AS Credit,
                '' AS EcritureLet,
                '' AS DateLet,
                %(date_from)s AS ValidDate,
                '' AS Montantdevise,
                '' AS Idevise
                """,
                year=self.date_from.year,
                date_from=date_from,
                aa_code=aa_code,
                aa_name=aa_name,
                partner=partner,
            )
        )
        self.env.cr.execute(
            SQL(
                "%s GROUP BY %s.id, %s.id ORDER BY MIN(%s), %s.id NULLS FIRST",
                sql,
                account,
                partner,
                aa_code,
                partner,
            )
        )
        per_account = {}
        for row in self.env.cr.fetchall():
            row = ["" if value is None else value for value in row]
            per_account.setdefault(row[COL_ACCOUNT], []).append(row)
        return per_account
