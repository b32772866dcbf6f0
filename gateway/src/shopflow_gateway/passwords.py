"""Password hashes: scrypt (stdlib) in the PHC string format, checked in constant time.

`$scrypt$ln=14,r=8,p=5$<salt>$<hash>` (base64, unpadded) is one of OWASP's recommended
scrypt settings: 16 MiB of memory per check, about 0.1–0.3 s of CPU, so callers run
`verify_password` off the event loop.
"""

import base64
import hashlib
import hmac
import os
import re

_PHC = re.compile(r"\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([\w+/]+)\$([\w+/]+)")
_KEY_BYTES = 32
_MAX_MEMORY = 256 * 1024 * 1024  # room above 128 × r × 2^ln, which hashlib checks against


def hash_password(password: str, *, log2_n: int = 14, r: int = 8, p: int = 5) -> str:
    """A new salted hash of `password`, its cost parameters written into it."""
    salt = os.urandom(16)
    key = _derive(password, salt, log2_n, r, p)
    return f"$scrypt$ln={log2_n},r={r},p={p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches `encoded`; a malformed hash matches nothing."""
    parsed = _PHC.fullmatch(encoded)
    if parsed is None:
        return False
    log2_n, r, p = (int(group) for group in parsed.group(1, 2, 3))
    salt, expected = _unb64(parsed.group(4)), _unb64(parsed.group(5))
    # compare_digest: the time taken must not tell how many leading bytes matched.
    return hmac.compare_digest(_derive(password, salt, log2_n, r, p), expected)


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=2**log2_n, r=r, p=p, maxmem=_MAX_MEMORY, dklen=_KEY_BYTES
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))
