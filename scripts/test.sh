#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs every CPU test (unit tests, the example
# models, and the ONNX conformance suite from Debian's libonnx-testdata).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" -L cpu --output-on-failure -j "$(nproc)"
