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

    # Field names a plain write or create may not set. create() may still
    # give them their default value (res.users passes its partner's defaults).
    _pass_guarded_fields = frozenset()
    # Of those, the ones create() may set to any value.
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
                    "These fields can only be changed through the intended actions "
                    "(buttons or API methods): %(fields)s.",
                    fields=labels,
                )
            )

    def _pass_is_default(self, fname, value):
        field = self._fields.get(fname)
        if field is None:
            return False
        default = field.default(self) if field.default else False
        return value == default or (not value and not default)

    @api.model_create_multi
    def create(self, vals_list):
        if not guarded_write_allowed(self.env):
            # Rights first: a refused caller learns nothing about the fields.
            self.browse().check_access("create")
        for vals in vals_list:
            self._pass_check_guarded(
                {
                    fname
                    for fname, value in vals.items()
                    if fname in self._pass_guarded_fields
                    and fname not in self._pass_guarded_create_ok
                    and not self._pass_is_default(fname, value)
                }
            )
        return super().create(vals_list)

    def write(self, vals):
        if (
            not guarded_write_allowed(self.env)
            and set(vals) & self._pass_guarded_fields
        ):
            # Rights first: a refused caller learns nothing about the fields.
            self.check_access("write")
        self._pass_check_guarded(vals)
        return super().write(vals)
