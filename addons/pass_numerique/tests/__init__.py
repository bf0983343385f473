from . import (
    test_book,
    test_distribution,
    test_i18n,
    test_open_data,
    test_pass_code,
    test_portal,
    test_portal_funder,
    test_print,
    test_program,
    test_redeem,
    test_reporting,
    test_security,
    test_views,
)
from . import test_reporting
from . import test_portal_funder
