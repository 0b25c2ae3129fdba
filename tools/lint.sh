#!/usr/bin/env bash
# The project's lint, run by `npm test` before the tests: ESLint (typescript-eslint, Pulumi's rules)
# and Prettier on the TypeScript, pyflakes on the Python, shellcheck on the shell scripts. Any
# finding fails it.
set -euo pipefail
cd "$(dirname "$0")/.."

npx --no-install eslint .
npx --no-install prettier --check --log-level warn "**/*.ts"
python_files=(emulator scripts/linux test/scripts/python)
if command -v pyflakes3 >/dev/null 2>&1; then
  pyflakes3 "${python_files[@]}"
else
  echo "lint: pyflakes3 unavailable (apt-get install pyflakes3): the Python was not linted"
fi
if command -v shellcheck >/dev/null 2>&1; then
  shellcheck .ci/run tools/lint.sh emulator/ensure-python-deps.sh
else
  echo "lint: shellcheck unavailable (apt-get install shellcheck): the shell scripts were not linted"
fi
echo "lint: clean"
