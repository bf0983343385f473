# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

AGE_BANDS = [
    ("under_18", "Under 18"),
    ("18_24", "18-24"),
    ("25_39", "25-39"),
    ("40_59", "40-59"),
    ("60_74", "60-74"),
    ("75_plus", "75 and over"),
]

SITUATIONS = [
    ("job_seeker", "Job seeker"),
    ("employed", "Employed"),
    ("retired", "Retired"),
    ("student", "Student"),
    ("minimum_income", "Minimum income (RSA)"),
    ("disability", "Disability"),
    ("other", "Other"),
]


class PassBeneficiary(models.Model):
    """A person who receives passes, known only by pseudonymous facts.

    No name, no contact: the prescriber keeps the link between the reference
    and the person in its own files. This is enough to measure impact (age
    band, place, situation) without personal data in the cooperative's ERP.
    """

    _name = "pass.beneficiary"
    _description = "Beneficiary (pseudonymous)"
    _order = "id desc"
    _rec_name = "reference"

    reference = fields.Char(required=True, readonly=True, copy=False, default="/")
    prescriber_id = fields.Many2one(
        "res.partner",
        required=True,
        index=True,
        domain=[("is_pass_prescriber", "=", True)],
        default=lambda self: self._default_prescriber(),
    )
    age_band = fields.Selection(AGE_BANDS)
    zip = fields.Char(string="Postcode")
    situation = fields.Selection(SITUATIONS)
    consent_date = fields.Date(
        help="Date the person agreed to the use of these facts for statistics."
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    voucher_ids = fields.One2many("pass.voucher", "beneficiary_id", string="Passes")

    _sql_constraints = [
        (
            "reference_unique",
            "unique(reference, company_id)",
            "Cette référence existe déjà.",
        ),
        (
            "zip_format",
            "check(zip IS NULL OR zip ~ '^[0-9]{5}$')",
            "Un code postal compte 5 chiffres.",
        ),
    ]

    def _default_prescriber(self):
        partner = self.env.user.partner_id.commercial_partner_id
        return partner if partner.is_pass_prescriber else False

    @api.constrains("prescriber_id")
    def _check_prescriber(self):
        # sudo: a prescriber's portal user may not read the role flags of
        # partners; only the flag is read.
        for beneficiary in self.sudo():
            if not beneficiary.prescriber_id.is_pass_prescriber:
                raise ValidationError(
                    self.env._(
                        "%(partner)s n'est pas un prescripteur : seul un prescripteur "
                        "enregistre des bénéficiaires.",
                        partner=beneficiary.prescriber_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("reference", "/") == "/":
                # sudo: prescribers' portal users may not read ir.sequence.
                vals["reference"] = (
                    self.env["ir.sequence"].sudo().next_by_code("pass.beneficiary")
                )
        return super().create(vals_list)
