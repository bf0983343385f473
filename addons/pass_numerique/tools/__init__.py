from . import pass_code
from . import guard
