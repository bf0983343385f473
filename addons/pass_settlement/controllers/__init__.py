# Portal pages of pass_settlement (remittances and statements).
from . import portal_statement
from . import portal_remittance
