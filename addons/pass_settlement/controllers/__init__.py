# Portal pages of pass_settlement (remittances and statements).
from . import portal_remittance, portal_statement, portal_subscription
