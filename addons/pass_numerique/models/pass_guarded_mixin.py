# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.exceptions import UserError

from ..tools.guard import guarded_write_allowed


class PassGuardedMixin(models.AbstractModel):
    """Refuses plain writes of the fields listed in ``_pass_guarded_fields``.

    The models' business methods write them inside ``tools.guard.guarded_write()``.
    """

    _name = "pass.guarded.mixin"
    _description = "Pass: fields changed only by their business methods"

    # Field names a plain write or create may not set.
    _pass_guarded_fields = frozenset()
    # Of those, the ones create() may still set (defaults of a new record).
    _pass_guarded_create_ok = frozenset()

    def _pass_check_guarded(self, fnames):
        if guarded_write_allowed(self.env):
            return
        touched = sorted(set(fnames) & self._pass_guarded_fields)
        if touched:
            labels = ", ".join(
                self._fields[name]._description_string(self.env) for name in touched
            )
            raise UserError(
                self.env._(
                    "Ces champs ne se modifient que par les actions prévues "
                    "(boutons ou méthodes de l'API) : %(fields)s.",
                    fields=labels,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._pass_check_guarded(set(vals) - self._pass_guarded_create_ok)
        return super().create(vals_list)

    def write(self, vals):
        self._pass_check_guarded(vals)
        return super().write(vals)
