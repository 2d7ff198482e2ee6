#!/usr/bin/env bash
# The model benchmarks on the GPU machine (bench/models.py beside PyTorch in one job), with the
# libraries of the carried package on the path. Usage: bench/models.sh BUILD_GPU_DIR OUT.md [args]
set -euo pipefail
pkg=$(cd "$1" && pwd)
out=$2
shift 2
libs=$pkg/lib
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d "$d" ] && libs=$libs:$d; done
cudnn=$(python3 -c "import nvidia.cudnn; print(list(nvidia.cudnn.__path__)[0] + '/lib')" 2>/dev/null || true)
[ -n "$cudnn" ] && [ -d "$cudnn" ] && libs=$libs:$cudnn
export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
PYTHONUNBUFFERED=1 python3 "$(dirname "$0")/models.py" "$pkg/lre" "$out" "$@"
