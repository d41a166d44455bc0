"""
Access keys and their secrets.

The credentials file has one user per line::

    # comment
    ACCESS_KEY SECRET_KEY [display name, may contain spaces]

Blank lines and lines starting with C{#} are ignored. The store is immutable once
built, so it can be read from any thread.

test-case-name: tests.auth.test_auth_credentials
"""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cartridge_d.auth.errors import AuthError

__all__ = ["Credentials", "CredentialStore", "CredentialsFileError"]


@dataclass(frozen=True)
class Credentials:
    """
    One user: the access key names it, the secret signs its requests.

    @ivar display_name: shown as the owner in listings and ACLs.
    """

    access_key: str
    secret_key: str
    display_name: str

    def __repr__(self) -> str:
        # Never let a secret reach a log line through repr().
        return f"Credentials(access_key={self.access_key!r}, display_name={self.display_name!r})"


class CredentialsFileError(ValueError):
    """The credentials file cannot be used; the message names the file and line."""


class CredentialStore:
    """
    Immutable map from access key to L{Credentials}.
    """

    def __init__(self, credentials: Iterable[Credentials] = ()) -> None:
        self._by_key: dict[str, Credentials] = {}
        for cred in credentials:
            if cred.access_key in self._by_key:
                raise ValueError(f"duplicate access key {cred.access_key!r}")
            self._by_key[cred.access_key] = cred

    def lookup(self, access_key: str) -> Credentials | None:
        """Return the user with this access key, or None if there is none."""
        return self._by_key.get(access_key)

    def require(self, access_key: str) -> Credentials:
        """
        Return the user with this access key.

        @raise AuthError: C{InvalidAccessKeyId} when there is none.
        """
        cred = self._by_key.get(access_key)
        if cred is None:
            raise AuthError(
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                (("AWSAccessKeyId", access_key),),
            )
        return cred

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[Credentials]:
        """Every user, in file order."""
        return iter(list(self._by_key.values()))

    @classmethod
    def from_file(cls, path: str) -> "CredentialStore":
        """
        Read a credentials file (format in the module docstring).

        @raise CredentialsFileError: a line has fewer than two fields, or an access
            key appears twice. The message says which file and line.
        @raise OSError: the file cannot be read.
        """
        creds: list[Credentials] = []
        seen: set[str] = set()
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                fields = text.split(None, 2)
                if len(fields) < 2:
                    raise CredentialsFileError(
                        f"{path}:{lineno}: expected 'ACCESS_KEY SECRET_KEY [display-name]'"
                    )
                access, secret = fields[0], fields[1]
                if access in seen:
                    raise CredentialsFileError(f"{path}:{lineno}: duplicate access key {access!r}")
                seen.add(access)
                name = fields[2].strip() if len(fields) == 3 else access
                creds.append(Credentials(access, secret, name))
        return cls(creds)

    @classmethod
    def generate(cls, path: str, display_name: str = "admin") -> "CredentialStore":
        """
        Create a credentials file holding one fresh key pair, readable by its owner only.

        The access key is 20 upper-case letters and digits starting with C{CK}; the
        secret is 40 characters from the base64 alphabet without C{+/} (so it needs
        no quoting in a shell or config file).

        @raise FileExistsError: C{path} exists already (never overwrite keys).
        """
        upper = string.ascii_uppercase + string.digits
        access = "CK" + "".join(secrets.choice(upper) for _ in range(18))
        alphabet = string.ascii_letters + string.digits
        secret = "".join(secrets.choice(alphabet) for _ in range(40))
        cred = Credentials(access, secret, display_name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# cartridge-s3 credentials: ACCESS_KEY SECRET_KEY [display-name]\n")
            f.write(f"{access} {secret} {display_name}\n")
            f.flush()
            os.fsync(f.fileno())
        return cls([cred])
