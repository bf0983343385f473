from . import client, guard, money, pass_code, period
