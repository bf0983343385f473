from . import client, guard, pass_code, period
