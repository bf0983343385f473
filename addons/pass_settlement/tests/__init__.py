from . import (
    test_clearing,
    test_clearing_trust,
    test_expiry,
    test_facturx,
    test_funder_money,
    test_ledger_check,
    test_lifecycle,
    test_paris_time,
    test_remittance_guard,
    test_security_settlement,
    test_settlement,
    test_statement,
)
