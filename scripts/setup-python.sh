#!/usr/bin/env bash
# Creates the repo's Python environment for promptflow: .venv at the repo root with the pins of
# requirements.txt. Idempotent: when .venv exists and was built from the same requirements.txt
# (a stamp file holds its sha256 and the interpreter's version) it does nothing, so CI can call
# it unconditionally, before or after restoring a cached .venv.
#
#   npm run setup:python            # or: bash scripts/setup-python.sh
#   PYTHON=python3.12 npm run setup:python
#   LLMOPS_VENV=/opt/pfvenv npm run setup:python
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$repo_root/requirements.txt"
venv="${LLMOPS_VENV:-$repo_root/.venv}"
stamp="$venv/.llmops-requirements.sha256"
python="${PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup-python: $python not found; install Python 3.9-3.13 or set PYTHON=/path/to/python" >&2
  exit 1
fi
# promptflow-devkit 1.18.5 declares python >=3.9,<3.14.
if ! "$python" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] < (3, 14) else 1)'; then
  echo "setup-python: promptflow 1.18.5 needs Python >=3.9,<3.14; $("$python" --version 2>&1) found. Set PYTHON=..." >&2
  exit 1
fi

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
wanted="$(sha256 "$requirements") $("$python" -c 'import sys; print("py%d.%d" % sys.version_info[:2])')"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "setup-python: $venv is up to date ($("$venv/bin/python" --version 2>&1), requirements.txt unchanged)"
  exit 0
fi

started=$SECONDS
if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
rm -f "$stamp"

# uv installs the same pins several times faster; use it when the machine has it.
if command -v uv >/dev/null 2>&1; then
  uv pip install --python "$venv/bin/python" --quiet -r "$requirements"
else
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet --no-input -r "$requirements"
fi

# A broken install must fail here, not in the first experiment.
"$venv/bin/python" - <<'PY'
from importlib.metadata import version
import keyrings.alt, promptflow.client, promptflow.tools  # noqa: F401
print("setup-python: promptflow", version("promptflow-devkit"), "/ promptflow-tools", version("promptflow-tools"))
PY

echo "$wanted" >"$stamp"
echo "setup-python: $venv ready in $((SECONDS - started))s"
