from . import (
    account_chart_template,
    account_move_line,
    pass_book,
    pass_clearing_run,
    pass_expiry,
    pass_program,
    pass_program_expiry,
    pass_remittance,
    pass_statement,
    pass_voucher,
    product_template,
    res_company,
    res_config_settings,
    sale_order,
    sale_order_line,
)
from . import pass_expiry
from . import pass_program_expiry
from . import pass_statement
