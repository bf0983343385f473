from . import pass_book_cancel
from . import pass_book_distribute
from . import pass_program_issue
from . import pass_voucher_redeem
from . import pass_venue_import
