from . import test_portal
from . import test_views
from . import test_redeem
from . import test_distribution
