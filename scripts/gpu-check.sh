#!/usr/bin/env bash
# The whole GPU job, run on the GPU machine from the repository root with build-gpu/ carried
# (made here by scripts/package-gpu.sh; nothing is built there for now): the GPU tests, the same
# under compute-sanitizer memcheck and racecheck, the CPU unit tests. Full logs go to $OUT (at
# most 8 files); a short table is printed last. Exit status 0 only when every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."
pkg=$PWD/build-gpu
out=${OUT:-$PWD/gpu-check-out}
mkdir -p "$out"

source scripts/gpu-env.sh
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n 1)
# Tests the sanitizers skip: the no-hidden-sync tests need kernels to overlap, which the sanitizers
# serialise; the pool-statistics test measures the driver, not memory safety; large tensors are
# only there to loop the grid twice and would take minutes under instrumentation.
sanitizer_filter='-*NoHiddenSync:*SteadyStateMakesNoDriverAllocations:*LargeTensor*'
# Racecheck follows every shared-memory access: the engine tests (whole models through cuDNN and
# cuBLAS, whose kernels are not ours), the Whisper models, and the encoder's flash attention and
# the log-mel (seconds each uninstrumented: many minutes under racecheck, past the step's limit)
# are left out; the other kernels' own tests stay in.
racecheck_filter="$sanitizer_filter:CudaEngine.*:*CudaWhisper*:*EncoderAttention*:*LogMel*"

declare -a rows=()
failed=0
# run NAME LOG TIMEOUT_S COMMAND...: runs one step into $out/LOG and adds a row to the table.
run() {
  local name=$1 log=$2 limit=$3
  shift 3
  local start=$SECONDS rc detail
  timeout "$limit" "$@" >"$out/$log" 2>&1
  rc=$?
  detail=$(grep -E '^\[  (PASSED|FAILED)  \] [0-9]+ test' "$out/$log" | sed -E 's/^\[  (PASSED|FAILED)  \] ([0-9]+) tests?.*/\2 \L\1/' | paste -sd, -)
  local sanitizer_line
  sanitizer_line=$(grep -E 'ERROR SUMMARY' "$out/$log" | tail -n 1 | sed -E 's/^=+ //')
  [ -n "$sanitizer_line" ] && detail="$detail; $sanitizer_line"
  [ "$rc" = 124 ] && detail="timed out after ${limit}s; $detail"
  [ "$rc" = 0 ] || failed=1
  rows+=("$(printf '%-22s %-7s %5ss  %s' "$name" "$([ "$rc" = 0 ] && echo ok || echo FAIL:$rc)" "$((SECONDS - start))" "$detail")")
}

{
  echo "# gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
  echo "## nvidia-smi"; nvidia-smi
  echo "## versions"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  echo "compute-sanitizer: ${sanitizer:-missing}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "## ldd"
  for bin in "$pkg/tests/lre_gpu_tests" "$pkg/tests/lre_unit_tests" "$pkg/lre"; do echo "$bin"; ldd "$bin"; done
} >"$out/environment.log" 2>&1
if grep -q "=> not found" "$out/environment.log"; then
  rows+=("$(printf '%-22s %-7s %5ss  %s' libraries FAIL 0 "$(grep '=> not found' "$out/environment.log" | awk '{print $1}' | sort -u | paste -sd' ' -) not found")")
  failed=1
fi
nvidia-smi >/dev/null 2>&1 || { rows+=("$(printf '%-22s %-7s %5ss  %s' nvidia-smi FAIL 0 "no GPU visible")"); failed=1; }

run "gpu tests" gpu-tests.log 200 "$pkg/tests/lre_gpu_tests"
run "cpu unit tests" unit-tests.log 60 "$pkg/tests/lre_unit_tests"
# The ONNX conformance suite on the CUDA backend, as CI runs it on the CPU (same runner, same
# tolerances); the passing count goes in the table.
data=$(mktemp -d)
tar xzf "$pkg/onnx-testdata.tgz" -C "$data"
run "conformance cuda" conformance-cuda.log 280 "$pkg/lre" conformance "$data" --device cuda -j 16 --min-pass ${CONFORMANCE_MIN_PASS:-900}
rows[${#rows[@]}-1]+=" $(grep -E '^conformance: [0-9]+ passed' "$out/conformance-cuda.log" | tail -n 1)"
if [ -n "$sanitizer" ]; then
  # API errors are off: the tests provoke some on purpose (out of memory, a bad launch) and every
  # call in the library is checked anyway; memory and race errors are what these runs are for.
  run "memcheck gpu tests" memcheck.log 150 "$sanitizer" --tool memcheck --report-api-errors no --error-exitcode 99 \
    "$pkg/tests/lre_gpu_tests" --gtest_filter="$sanitizer_filter"
  run "racecheck gpu tests" racecheck.log 150 "$sanitizer" --tool racecheck --report-api-errors no --error-exitcode 99 \
    "$pkg/tests/lre_gpu_tests" --gtest_filter="$racecheck_filter"
else
  rows+=("$(printf '%-22s %-7s %5ss  %s' compute-sanitizer FAIL 0 "not found")")
  failed=1
fi

# Benchmarks, each beside its peer in the same job; the tables also go to bench/results/ by hand.
run "bench elementwise" bench-elementwise.md 120 bash bench/elementwise.sh "$pkg"

# Names of failed tests in any log, once each.
failing() {
  grep -h -E '^\[  FAILED  \] [A-Za-z]' "$out"/*.log 2>/dev/null | sed -E 's/^\[  FAILED  \] ([^ ,]+).*/\1/' | sort -u
}

{
  echo "step                   result    time  detail"
  for r in "${rows[@]}"; do echo "$r"; done
  echo "failing tests ($(failing | wc -l)):"
  failing
} >"$out/summary.txt"
echo
echo "GPU check ($(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)); logs in $out:"
for r in "${rows[@]}"; do echo "$r"; done
[ -n "$(failing)" ] && echo "failing tests ($(failing | wc -l)), first 10:" && failing | head -n 10
echo; cat "$out/bench-elementwise.md" 2>/dev/null
exit $failed
