#!/usr/bin/env bash
# Configures and builds LRE into ${BUILD_DIR:-build} (Release, CUDA when nvcc is found).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLRE_PYTHON=ON ${LRE_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
