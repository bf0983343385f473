from . import test_settlement
from . import test_expiry
from . import test_lifecycle
