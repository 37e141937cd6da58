#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), then runs the whole test suite (npm test).
# Extra arguments are test-file filters for scripts/test.mjs, e.g. `scripts/test.sh guest xml`.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
unset NODE_EXTRA_CA_CERTS # adds ~70 ms to every node process the tests start
exec node scripts/test.mjs "$@"
