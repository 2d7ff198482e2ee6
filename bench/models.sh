#!/usr/bin/env bash
# The model benchmarks on the GPU machine (bench/models.py beside PyTorch in one job), with the
# libraries of the carried package on the path. Usage: bench/models.sh BUILD_GPU_DIR OUT.md [args]
set -euo pipefail
pkg=$(cd "$1" && pwd)
out=$2
shift 2
source "$(dirname "$0")/../scripts/gpu-env.sh"
PYTHONUNBUFFERED=1 python3 "$(dirname "$0")/models.py" "$pkg/lre" "$out" "$@"
