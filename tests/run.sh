#!/usr/bin/env bash
# Set up everything the test suite needs on Debian 12 and run it:
#   1. the whole suite on a venv with the latest PyPI releases (warnings of
#      deprecation are errors there, to catch them early);
#   2. the whole suite again on Debian's own packages (Twisted 22.4, lxml 4.9,
#      cryptography 38), the floor we promise;
#   3. the Debian package: build, lintian, install, start as the service user,
#      real aws-cli requests, stop by PID, purge (tests/packaging).
# It ends with one line "N passed, N failed" summing the three runs.
set -euo pipefail
cd "$(dirname "$0")/.."


SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
APT_PACKAGES=(
    # runtime and test dependencies from Debian (run 2)
    python3 python3-venv python3-twisted python3-lxml python3-cryptography
    python3-incremental python3-zope.interface python3-crc32c
    python3-pytest python3-hypothesis python3-boto3 python3-treq
    # the real clients
    rclone s3cmd awscli curl
    # the Debian toolchain (run 3)
    build-essential debhelper dh-python python3-all python3-setuptools
    pybuild-plugin-pyproject devscripts lintian adduser util-linux
)
export DEBIAN_FRONTEND=noninteractive
$SUDO env PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get update -q >/dev/null
$SUDO env PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get install -y -q "${APT_PACKAGES[@]}" >/dev/null

# The venv is built from Debian's python3 (the one the package runs on).
if [ ! -x .venv/bin/python ]; then
    /usr/bin/python3 -m venv .venv
fi
.venv/bin/pip install -q -U pip
.venv/bin/pip install -q '.[test]' awscli mypy build

# rclone 1.60 refuses to start when AWS_CA_BUNDLE is set (notes/clients.md).
unset AWS_CA_BUNDLE || true

passed=0; failed=0; status=0
run() {
    local label=$1; shift
    echo "=== $label: $*"
    local log; log=$(mktemp)
    set +e
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    set -e
    local summary; summary=$(tail -n 3 "$log" | grep -E '(passed|failed|error)' | tail -n 1 || true)
    local p f e
    p=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
    f=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
    e=$(echo "$summary" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+' || echo 0)
    # A step without a pytest summary (the type check) counts as one test.
    [ -n "$summary" ] || { [ "$rc" = 0 ] && p=1; }
    passed=$((passed + p)); failed=$((failed + f + e))
    if [ "$rc" != 0 ]; then
        status=1
        [ "$((f + e))" -gt 0 ] || failed=$((failed + 1))
    fi
    rm -f "$log"
}

run "type check (mypy --strict)" .venv/bin/mypy cartridge_d
run "suite on PyPI latest" .venv/bin/python -m pytest -q -W error::DeprecationWarning \
    --ignore=tests/packaging tests
run "suite on Debian 12 packages" env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    /usr/bin/python3 -m pytest -q --ignore=tests/packaging tests
run "Debian package" .venv/bin/python -m pytest -q tests/packaging

echo "$passed passed, $failed failed"
exit $status
