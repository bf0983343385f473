from . import test_portal
from . import test_views
