from . import guard, pass_code, period
