"""
Where the server's credentials come from.

With C{--credentials FILE} the keys are read from that file. Without it the
server uses C{<cartridge>.credentials}, generating a fresh key pair there
(mode 0600) on the first start, so that a new user gets a working, signed
setup without ever putting a secret on a command line. The secret itself is
never logged: only the access key and the file that holds the pair.
"""

from __future__ import annotations

import os

from twisted.logger import Logger

from cartridge_d.auth.credentials import CredentialStore
from cartridge_d.service.options import Settings


def default_credentials_path(settings: Settings) -> str:
    """
    The credentials file used when none is configured.
    """
    return settings.cartridge + ".credentials"


def load_or_generate(settings: Settings, log: Logger) -> CredentialStore:
    """
    Load the configured credentials, generating the default file if needed.

    @raise SystemExit: with a one-line reason if a configured file is
        missing or malformed (a server that cannot authenticate anybody is
        of no use).
    """
    path = settings.credentials
    try:
        if path is not None:
            return CredentialStore.from_file(path)
        path = default_credentials_path(settings)
        if os.path.exists(path):
            return CredentialStore.from_file(path)
        store = CredentialStore.generate(path)
    except (OSError, ValueError) as e:
        raise SystemExit(f"cartridge-s3: cannot read credentials {path}: {e}")
    first = next(iter(store))
    log.info(
        "Generated credentials: access key {access_key}; the key pair is in {path}",
        access_key=first.access_key,
        path=path,
    )
    return store
