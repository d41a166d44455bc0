"""
What `pip install` gives a user: from the sdist and from the wheel, the
twistd plugin and the `cartridge` command, without the source checkout.

Each artefact is installed without dependencies into its own directory
(the interpreter running the tests already has them), and used from a
working directory outside the checkout, so only the installed files can
answer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness import REPO, TWISTD


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    Build the sdist and the wheel of the checkout.
    """
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir",
                        str(out), str(REPO)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out


def install(artefact: Path, target: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--target", str(target), str(artefact)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


@pytest.mark.parametrize("kind", ["sdist", "wheel"])
def test_installed_plugin_and_command(dist: Path, tmp_path: Path, kind: str) -> None:
    """
    After installing the sdist or the wheel, `twistd --help` lists
    cartridge-s3, its --help shows the options, and `cartridge --help` runs.
    """
    artefact = next(dist.glob("*.tar.gz" if kind == "sdist" else "*.whl"))
    target = tmp_path / "site"
    install(artefact, target)
    assert (target / "twisted" / "plugins" / "cartridge_s3_plugin.py").exists()
    assert not (target / "twisted" / "__init__.py").exists()
    assert not (target / "twisted" / "plugins" / "__init__.py").exists()
    env = dict(os.environ, PYTHONPATH=str(target))
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()

    def run(*argv: str) -> str:
        r = subprocess.run(argv, cwd=elsewhere, env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    assert "cartridge-s3" in run(sys.executable, "-c", TWISTD, "--help")
    assert "--s3-versioning" in run(sys.executable, "-c", TWISTD, "cartridge-s3", "--help")
    assert "fsck" in run(sys.executable, str(target / "bin" / "cartridge"), "--help")
    imported = run(sys.executable, "-c", "import cartridge_d; print(cartridge_d.__file__)")
    assert imported.startswith(str(target))


def test_artefact_contents(dist: Path) -> None:
    """
    The wheel holds the code and the plugin but no dropin.cache; the sdist
    carries the plugin and the build configuration.
    """
    wheel = zipfile.ZipFile(next(dist.glob("*.whl"))).namelist()
    assert "twisted/plugins/cartridge_s3_plugin.py" in wheel
    assert "cartridge_d/service/tap.py" in wheel
    assert not any("dropin.cache" in name for name in wheel)
    sdist = tarfile.open(next(dist.glob("*.tar.gz"))).getnames()
    assert any(name.endswith("twisted/plugins/cartridge_s3_plugin.py") for name in sdist)
    assert any(name.endswith("setup.cfg") for name in sdist)
