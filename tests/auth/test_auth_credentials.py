"""
The credentials file: reading, errors, and generating a fresh key pair.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cartridge_d.auth import AuthError, CredentialsFileError, CredentialStore


def test_from_file(tmp_path: Path) -> None:
    """Comments and blank lines are skipped; the display name may contain spaces."""
    path = tmp_path / "creds"
    path.write_text("# users\n\nAK1 SECRET1 Alice Smith\n  AK2\tSECRET2  \n")
    store = CredentialStore.from_file(str(path))
    alice = store.lookup("AK1")
    assert alice is not None and alice.secret_key == "SECRET1"
    assert alice.display_name == "Alice Smith"
    bob = store.lookup("AK2")
    assert bob is not None and bob.display_name == "AK2"
    assert store.lookup("AK3") is None
    assert [c.access_key for c in store] == ["AK1", "AK2"]


@pytest.mark.parametrize("text", ["AK1\n", "AK1 S1\nAK1 S2\n"])
def test_from_file_errors(tmp_path: Path, text: str) -> None:
    """A line without a secret, or a repeated access key, names the file and line."""
    path = tmp_path / "creds"
    path.write_text(text)
    with pytest.raises(CredentialsFileError) as e:
        CredentialStore.from_file(str(path))
    assert f"{path}:" in str(e.value)


def test_generate(tmp_path: Path) -> None:
    """generate() writes a 0600 file with a CK... key that from_file reads back."""
    path = tmp_path / "new"
    store = CredentialStore.generate(str(path))
    (cred,) = list(store)
    assert len(cred.access_key) == 20 and cred.access_key.startswith("CK")
    assert cred.access_key.isupper() and cred.access_key.isalnum()
    assert len(cred.secret_key) == 40
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert CredentialStore.from_file(str(path)).lookup(cred.access_key) == cred
    with pytest.raises(FileExistsError):
        CredentialStore.generate(str(path))


def test_secret_not_in_repr(tmp_path: Path) -> None:
    """repr() of credentials never shows the secret (it may reach a log)."""
    (cred,) = list(CredentialStore.generate(str(tmp_path / "c")))
    assert cred.secret_key not in repr(cred)


def test_require() -> None:
    """require() raises InvalidAccessKeyId for an unknown key."""
    with pytest.raises(AuthError) as e:
        CredentialStore().require("nobody")
    assert e.value.code == "InvalidAccessKeyId"
