#!/usr/bin/env bash
# Developer tools the tests use, built into .tools/ (gitignored): actionlint, which checks the
# reusable workflows. Built from source with Go (no prebuilt binary is downloaded); idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIONLINT_VERSION=v1.7.12
if [ -x .tools/actionlint ] && .tools/actionlint -version | head -1 | grep -qx "$ACTIONLINT_VERSION"; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup-tools: Go is not installed; tests/build/workflows.test.ts will skip (and fail under CI=true)" >&2
  exit 0
fi
GOBIN="$PWD/.tools" go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
echo "setup-tools: actionlint $ACTIONLINT_VERSION in .tools/"
