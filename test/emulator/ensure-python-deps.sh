#!/usr/bin/env bash
# Makes sure the emulator's Python dependency (moto >= 5.0.17 with its server extras) is present:
# installs it with pip where it is missing, and fails with a clear message where that is impossible.
set -euo pipefail

python=${PYTHON:-python3}
check='import sys, moto, flask, werkzeug
major, minor, patch = (int(x) for x in moto.__version__.split(".")[:3])
sys.exit(0 if (major, minor, patch) >= (5, 0, 17) else 1)'

if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found: the AWS emulator needs Python 3.9+ (set PYTHON to use another)" >&2
  exit 1
fi
if "$python" -c "$check" 2>/dev/null; then
  exit 0
fi
echo "moto >= 5.0.17 with its server extras is missing: installing it with pip" >&2
if ! "$python" -m pip install --quiet 'moto[server]>=5.0.17'; then
  cat >&2 <<'MSG'
error: could not install the emulator's dependency with pip.
Install it yourself, then run the tests again:
    python3 -m pip install 'moto[server]>=5.0.17'
MSG
  exit 1
fi
"$python" -c "$check"
