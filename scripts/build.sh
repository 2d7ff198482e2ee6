#!/usr/bin/env bash
# Configures and builds LRE into ${BUILD_DIR:-build} (Release, CUDA when nvcc is found).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
# One CUDA architecture (sm_90) keeps the device-code compile short where nothing runs on a GPU
# (CI, this machine); builds to ship for A100 and H100 leave LRE_CUDA_ARCHS="80;90".
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLRE_PYTHON=ON -DCMAKE_CUDA_ARCHITECTURES="${LRE_CUDA_ARCHS:-90}" \
  ${LRE_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
