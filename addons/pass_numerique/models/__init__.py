from . import pass_service
from . import res_partner
from . import pass_program
from . import pass_program_funding
from . import pass_book
from . import pass_book_distribution
from . import pass_voucher
