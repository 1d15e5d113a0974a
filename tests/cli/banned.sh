#!/usr/bin/env bash
# banned.sh: runs scripts/check-banned.sh under ctest, so unsafe calls and
# layering breaks fail the test suite and not only scripts/test.sh.
set -euo pipefail

: "${APPCTL_SOURCE_DIR:?set by ctest to the source tree}"
exec bash "$APPCTL_SOURCE_DIR/scripts/check-banned.sh" "$APPCTL_SOURCE_DIR"
