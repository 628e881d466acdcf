"""Functions known to run no SQL of their own: PostgreSQL's built-in ones, and those of the
extensions migrations use most (uuid-ossp, pgcrypto).

``pg_functions.txt`` lists every function name of the ``pg_catalog`` schema of PostgreSQL 15, 16
and 18 (``SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace``;
the test suite checks it against the server it runs on). A call of any other function may run
any SQL, DDL included, that the analyzer cannot see.
"""

from __future__ import annotations

import functools
from importlib import resources

#: uuid-ossp and pgcrypto: value generators and hashes, no SQL of their own
EXTENSION_FUNCTIONS = frozenset({
    "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v3", "uuid_generate_v4",
    "uuid_generate_v5", "uuid_nil", "uuid_ns_dns", "uuid_ns_url", "uuid_ns_oid", "uuid_ns_x500",
    "gen_random_bytes", "gen_random_uuid", "gen_salt", "crypt", "digest", "hmac", "encrypt",
    "decrypt", "encrypt_iv", "decrypt_iv", "pgp_sym_encrypt", "pgp_sym_decrypt",
    "pgp_sym_encrypt_bytea", "pgp_sym_decrypt_bytea", "pgp_pub_encrypt", "pgp_pub_decrypt",
    "pgp_pub_encrypt_bytea", "pgp_pub_decrypt_bytea", "pgp_key_id", "armor", "dearmor",
})


@functools.cache
def builtin_functions() -> frozenset[str]:
    """Names of the functions that run no SQL the analyzer would need to see."""
    text = resources.files("alembic_safe.analysis").joinpath("pg_functions.txt").read_text(
        encoding="utf-8")
    return frozenset(text.split()) | EXTENSION_FUNCTIONS


def is_builtin(parts: list[str]) -> bool:
    """Whether a called function's name (``["lower"]``, ``["pg_catalog", "now"]``) is one of
    :func:`builtin_functions`: unqualified or qualified with ``pg_catalog`` (an extension's, in
    any schema)."""
    if not parts:
        return False
    if parts[-1] in EXTENSION_FUNCTIONS:  # whatever schema the extension was installed in
        return True
    return (len(parts) == 1 or parts[-2] == "pg_catalog") and parts[-1] in builtin_functions()
