from . import (
    test_clearing,
    test_expiry,
    test_facturx,
    test_funder_money,
    test_lifecycle,
    test_remittance_guard,
    test_remittance_reversal,
    test_security_settlement,
    test_settlement,
    test_statement,
)
