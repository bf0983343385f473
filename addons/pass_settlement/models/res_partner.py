# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError

from .sale_order import PUBLIC_FUNDER_TYPES

# A venue's subscription terms: set by the cooperative's Pass managers (the
# consent to offsets also by the venue itself, through
# ``pass_set_subscription_offset``).
SUBSCRIPTION_FIELDS = frozenset(
    {"pass_subscription_active", "pass_subscription_start", "pass_subscription_offset"}
)
PASS_MANAGER_GROUP = "pass_numerique.pass_numerique_group_manager"


class ResPartner(models.Model):
    _inherit = "res.partner"

    pass_subscription_active = fields.Boolean(
        string="Subscription active",
        copy=False,
        help="The venue pays the yearly venue subscription: it is invoiced "
        "once a year while the venue is qualified.",
    )
    pass_subscription_start = fields.Date(
        string="Subscription start",
        copy=False,
        help="First day of the subscription: no subscription is invoiced for "
        "a year ending before it.",
    )
    pass_subscription_offset = fields.Boolean(
        string="Offset against payouts",
        copy=False,
        help="The venue agreed that its open subscription invoices are "
        "deducted from its next reimbursements (the transfer is the net "
        "amount).",
    )
    pass_subscription_ids = fields.One2many(
        "pass.venue.subscription", "venue_id", string="Subscriptions", readonly=True
    )

    @api.onchange("pass_funder_type")
    def _onchange_pass_funder_type_chorus(self):
        """Public bodies are invoiced through Chorus Pro: a public funder's
        form proposes it (the SIRET and service code are then asked for)."""
        for partner in self:
            if (
                partner.is_pass_funder
                and partner.pass_funder_type in PUBLIC_FUNDER_TYPES
                and not partner.invoice_sending_method
            ):
                partner.invoice_sending_method = "fr_chorus"

    def _inverse_siret(self):
        """OCA's l10n_fr_siret splits a SIRET into SIREN and NIC and refuses
        an invalid one with its own English sentence; an invalid SIRET is
        left to pass_numerique's constraint, which says it in French."""
        valid = self.filtered(lambda p: self._pass_siret_acceptable(p.siret))
        return super(ResPartner, valid)._inverse_siret()

    # ------------------------------------------------------------ subscription
    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get(fname) for vals in vals_list for fname in SUBSCRIPTION_FIELDS):
            self._pass_check_subscription_manager()
        return super().create(vals_list)

    def write(self, vals):
        changed = [
            fname
            for fname in SUBSCRIPTION_FIELDS & set(vals)
            if any(
                partner[fname]
                != self._fields[fname].convert_to_cache(vals[fname], partner)
                for partner in self
            )
        ]
        if changed:
            self._pass_check_subscription_manager()
        return super().write(vals)

    @api.model
    def _pass_check_subscription_manager(self):
        """Only the cooperative's Pass managers set a venue's subscription."""
        if self.env.su or self.env.user.has_group(PASS_MANAGER_GROUP):
            return
        raise AccessError(
            self.env._(
                "Only a Pass Numérique manager can change a venue's subscription."
            )
        )

    def pass_set_subscription_offset(self, consent=True):
        """Record whether the venue agrees that its open subscription
        invoices are offset against its payouts. A Pass manager sets it for
        any venue; a venue's own user (portal or internal) for its own venue
        only."""
        user = self.env.user
        if not (self.env.su or user.has_group(PASS_MANAGER_GROUP)):
            # sudo: the user's own organisation, whose Pass flags a portal
            # user cannot read; only compared with the records called.
            own = user.sudo().partner_id.commercial_partner_id
            if set(self.ids) != {own.id} or not own.is_pass_venue:
                raise AccessError(
                    self.env._("You can only set the offset consent of your own venue.")
                )
        # sudo: a venue's users may not write partners; the caller was just
        # checked to be a Pass manager or a user of this very venue, and only
        # the consent is written.
        self.sudo().write({"pass_subscription_offset": bool(consent)})
        return True
