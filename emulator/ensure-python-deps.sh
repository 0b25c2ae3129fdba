#!/usr/bin/env bash
# Makes sure the emulator's Python dependency (emulator/requirements.txt: moto, pinned exactly,
# with its server extras) is present: installs it with pip where it is missing, and fails with a
# clear message where that is impossible.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
requirements="$here/requirements.txt"
python=${PYTHON:-python3}
pinned=$(sed -n 's/^moto\[server\]==\([0-9.]*\)$/\1/p' "$requirements")
check="import sys, moto, flask, werkzeug
sys.exit(0 if moto.__version__ == '$pinned' else 1)"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found: the AWS emulator needs Python 3.9+ (set PYTHON to use another)" >&2
  exit 1
fi
if "$python" -c "$check" 2>/dev/null; then
  exit 0
fi
echo "moto $pinned with its server extras is missing: installing it with pip" >&2
if ! "$python" -m pip install --quiet -r "$requirements"; then
  cat >&2 <<MSG
error: could not install the emulator's dependency with pip.
Install it yourself, then run the tests again:
    $python -m pip install -r emulator/requirements.txt
MSG
  exit 1
fi
"$python" -c "$check"
