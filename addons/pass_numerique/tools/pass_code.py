"""Pass codes: random digits from ``secrets`` plus a Damm check digit.

A code is ``RANDOM_DIGITS`` random decimal digits (about 50 bits of entropy:
10**15 ~ 2**49.8, where Odoo's gift cards carry about 32) followed by one
check digit computed with the Damm algorithm. Damm's quasigroup detects every
single-digit substitution and every transposition of two adjacent digits,
which Luhn does not (Luhn misses 09 <-> 90).

Printed codes are grouped by four (``1234 5678 9012 3456``); spaces, dashes
and other separators typed at the counter are ignored.
"""

import re
import secrets
import struct

RANDOM_DIGITS = 15
CODE_LENGTH = RANDOM_DIGITS + 1
# The longest code (or service code) input worth reading: a code is 16
# digits, 19 characters as printed. The portal's forms cut typed text to this,
# the model the service code; normalize_code cuts any input to four times
# this (room for separators) before reading it.
MAX_CODE_INPUT = 64

# Damm's totally anti-symmetric quasigroup of order 10.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

_SEPARATORS = re.compile(r"[\s\-_.]+")


def damm_digit(digits):
    """Return the Damm check digit (0-9) of a string of decimal digits."""
    interim = 0
    for char in digits:
        interim = _DAMM[interim][ord(char) - 48]
    return interim


def generate_code():
    """Return a new random code: ``RANDOM_DIGITS`` digits + check digit."""
    body = str(secrets.randbelow(10**RANDOM_DIGITS)).zfill(RANDOM_DIGITS)
    return body + str(damm_digit(body))


# Damm's quasigroup applied to three digits at once: _DAMM3[state][n] is the
# interim digit after feeding the digits of n (000-999) from ``state``. Bulk
# issuing computes 100,000 check digits with 5 lookups each instead of 15.
def _damm3_table():
    table = []
    for state in range(10):
        row = []
        for n in range(1000):
            interim = state
            for char in f"{n:03d}":
                interim = _DAMM[interim][ord(char) - 48]
            row.append(interim)
        table.append(tuple(row))
    return tuple(table)


_DAMM3 = _damm3_table()
# The body read as groups of three digits, most significant first
# (RANDOM_DIGITS is a multiple of 3).
_GROUP_DIVISORS = tuple(10 ** (3 * i) for i in reversed(range(RANDOM_DIGITS // 3)))
_BODY_RANGE = 10**RANDOM_DIGITS
# Largest multiple of 10**15 below 2**64: 64-bit draws at or above it are
# rejected, so that every body is equally likely (no modulo bias).
_DRAW_LIMIT = (2**64 // _BODY_RANGE) * _BODY_RANGE


def _bulk_bodies(count):
    """``count`` uniform random integers below 10**15, from ``secrets``."""
    bodies = []
    while len(bodies) < count:
        missing = count - len(bodies)
        draws = struct.unpack(f"<{missing}Q", secrets.token_bytes(8 * missing))
        bodies.extend(v % _BODY_RANGE for v in draws if v < _DRAW_LIMIT)
    return bodies


def generate_codes(count):
    """Return ``count`` distinct new codes (the fast path of
    :func:`generate_code`, for bulk issuing: same distribution, same codes)."""
    table = _DAMM3
    codes = set()
    while len(codes) < count:
        for body in _bulk_bodies(count - len(codes)):
            check = 0
            for divisor in _GROUP_DIVISORS:
                check = table[check][body // divisor % 1000]
            codes.add(f"{body:0{RANDOM_DIGITS}d}{check}")
    return list(codes)


def normalize_code(raw):
    """Strip separators from a typed or scanned code. Returns a str (may be
    anything the user typed: validate with :func:`code_error`).

    The one normaliser of presented codes: anything (``None``, numbers)
    becomes a string, cut to ``MAX_CODE_INPUT * 4`` characters (room for
    separators) before the separators are stripped, so an oversized input
    costs nothing."""
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    return _SEPARATORS.sub("", raw[: MAX_CODE_INPUT * 4].strip())


def code_error(code):
    """Return None when ``code`` (normalized) is well formed with a valid
    check digit, else ``"malformed"`` or ``"bad_check_digit"``."""
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        return "malformed"
    if damm_digit(code) != 0:
        return "bad_check_digit"
    return None


def format_code(code):
    """Human-readable groups of four digits."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
