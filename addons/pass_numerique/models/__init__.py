# isort: off
# The mixin first: models below inherit it.
from . import pass_guarded_mixin

# isort: on
from . import (
    ir_http,
    ir_rule,
    pass_beneficiary,
    pass_book,
    pass_book_distribution,
    pass_book_print,
    pass_funder_dashboard,
    pass_prescriber_dashboard,
    pass_print_batch,
    pass_program,
    pass_program_funding,
    pass_program_print,
    pass_rate_limit,
    pass_redemption_attempt,
    pass_report,
    pass_service,
    pass_venue_counter,
    pass_venue_import_job,
    pass_voucher,
    res_config_settings,
    res_partner,
    res_users,
)
