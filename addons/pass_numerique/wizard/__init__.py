from . import (
    pass_book_cancel,
    pass_book_distribute,
    pass_program_issue,
    pass_venue_import,
    pass_voucher_redeem,
)
