from . import pass_code
