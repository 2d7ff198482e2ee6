#!/usr/bin/env bash
# pylre on the GPU machine: compiles the _pylre module there, for that machine's Python, against
# the carried package's liblre and the repository's public headers, then runs the CUDA tests
# (python/tests_gpu) and prints what they measured. Self-contained, done in under 3 minutes.
# Usage: scripts/gpu-pylre.sh [PACKAGE_DIR [SCRIPT ARGS...]]   (default build-gpu; log in
# $OUT/pylre-gpu.log if OUT is set). With a SCRIPT, it runs that with the module instead of the tests.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
pkg=$(cd "${1:-build-gpu}" && pwd) || { echo "gpu-pylre: no package directory ${1:-build-gpu}"; exit 2; }
script=${2:-}
script_args=("${@:3}")
python=${PYTHON:-$(command -v python3)}
work=$(mktemp -d /tmp/pylre-gpu.XXXXXX)
log=${OUT:+$OUT/pylre-gpu.log}
log=${log:-$work/pylre-gpu.log}
[ -n "${OUT:-}" ] && mkdir -p "$OUT"

main() {
  echo "# gpu-pylre $(date -u +%Y-%m-%dT%H:%M:%SZ): package $pkg, python $python ($("$python" --version 2>&1))"
  "$python" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'gpu', torch.cuda.get_device_name(0))" ||
    return 1

  # DLPack's header: the package's copy (scripts/package-gpu.sh stages Debian's), the system's, or
  # the one torch ships (as dlpack/dlpack.h, or as ATen/dlpack.h in older wheels).
  local dlpack="" d torch_inc
  for d in "$pkg/include" /usr/include /usr/local/include; do
    [ -f "$d/dlpack/dlpack.h" ] && { dlpack=$d; break; }
  done
  if [ -z "$dlpack" ]; then
    torch_inc=$("$python" -c "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'include'))")
    if [ -f "$torch_inc/dlpack/dlpack.h" ]; then
      dlpack=$torch_inc
    elif [ -f "$torch_inc/ATen/dlpack.h" ]; then
      mkdir -p "$work/include/dlpack"
      ln -s "$torch_inc/ATen/dlpack.h" "$work/include/dlpack/dlpack.h"
      dlpack=$work/include
    fi
  fi
  [ -n "$dlpack" ] || { echo "gpu-pylre: no dlpack/dlpack.h found"; return 1; }

  # The module is built the way the package's liblre was: with the stream code when it links cudart.
  local with_cuda=OFF cuda_root=()
  case "$(readelf -d "$pkg/liblre.so.0.1.0")" in *libcudart*) with_cuda=ON ;; esac
  for d in /usr/local/cuda /usr/local/cuda-13.0; do
    [ -d "$d" ] && { cuda_root=(-DCUDAToolkit_ROOT="$d"); break; }
  done
  echo "## build (dlpack.h from $dlpack, CUDA $with_cuda)"
  cmake -S python -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLRE_LIBRARY="$pkg/liblre.so.0.1.0" \
    -DLRE_INCLUDE_DIR="$repo/include" -DLRE_WITH_CUDA=$with_cuda "${cuda_root[@]}" \
    -DLRE_DLPACK_INCLUDE_DIR="$dlpack" -DPython_EXECUTABLE="$python" \
    -Dpybind11_DIR="$("$python" -m pybind11 --cmakedir)" || return 1
  cmake --build "$work/build" -j "$(nproc)" || return 1

  # Libraries as scripts/gpu-check.sh finds them: ours, the toolkit's, torch's cuDNN.
  local libs=$pkg/lib cudnn
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d "$d" ] && libs=$libs:$d; done
  cudnn=$("$python" -c "import nvidia.cudnn; print(list(nvidia.cudnn.__path__)[0] + '/lib')" 2>/dev/null || true)
  [ -n "$cudnn" ] && [ -d "$cudnn" ] && libs=$libs:$cudnn
  export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export PYTHONPATH=$work/build${PYTHONPATH:+:$PYTHONPATH}
  export LRE_TEST_MODELS=$pkg/models LRE_CLI=$pkg/lre PYTHONDONTWRITEBYTECODE=1

  if [ -n "$script" ]; then
    echo "## $script ${script_args[*]}"
    timeout 300 "$python" "$script" "${script_args[@]}"
    return
  fi
  echo "## tests"
  if "$python" -c "import pytest" 2>/dev/null; then
    timeout 150 "$python" -m pytest -q -s -p no:cacheprovider python/tests_gpu
  else
    timeout 150 "$python" python/tests_gpu/test_cuda.py
  fi
}

main >"$log" 2>&1
rc=$?
# The measurements and the verdict, last.
grep -E '^pylre-gpu:' "$log"
grep -E '^(=+ )?[0-9]+ (passed|failed)|^all passed$|^[0-9]+ failed$' "$log" | tail -n 1
[ "$rc" = 0 ] && echo "gpu-pylre: ok (log: $log)" || { echo "gpu-pylre: FAILED, exit $rc (log: $log)"; tail -n 40 "$log"; }
rm -rf "$work/build"
exit "$rc"
