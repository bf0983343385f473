from . import test_portal
from . import test_views
from . import test_redeem
from . import test_distribution
from . import test_reporting
from . import test_portal_funder
