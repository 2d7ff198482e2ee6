#!/usr/bin/env bash
# The Whisper GPU job, run on the GPU machine from the repository root with build-gpu/ carried
# (scripts/package-gpu.sh): the GPU tests of the kernels Whisper runs on, then bench/whisper_gpu.py
# (our model beside transformers on the same random weights: accuracy in fp32 and fp16, and the
# time of a 30-second window with 100 tokens), then each decode-step kernel timed alone
# (bench/decode_kernels.cc). Logs and the result table go to $OUT.
# Usage: scripts/gpu-whisper.sh [SHAPES]   (default tiny,large-v3)
set -uo pipefail
cd "$(dirname "$0")/.."
pkg=$PWD/build-gpu
out=${OUT:-$PWD/gpu-whisper-out}
mkdir -p "$out"
source scripts/gpu-env.sh

status=0
filter='*Gemv*:*ResidualLayerNorm*:*BiasGelu*:*EmbedTokens*:*AddPositions*:*AppendKv*:*ConvIm2col*:*TransformerOps*:*DecoderAttention*:*EncoderAttention*:*LogMel*:*CudaWhisper*'
timeout 300 "$pkg/tests/lre_gpu_tests" --gtest_filter="$filter" >"$out/whisper-gpu-tests.log" 2>&1 || status=1
grep -E '^\[  (PASSED|FAILED)  \]|^\[  FAILED  \]' "$out/whisper-gpu-tests.log" | tail -n 30
timeout 420 python3 bench/whisper_gpu.py "$pkg" "$out/whisper-gpu.md" --shapes "${1:-tiny,large-v3}" \
  >"$out/whisper-bench.log" 2>&1 || status=1
tail -n 25 "$out/whisper-bench.log"
# Each decode-step kernel alone, chained as the step chains it, for one, two and four sequences.
for rows in 1 2 4; do
  timeout 120 "$pkg/bench/lre_bench_decode_kernels" "$rows" >"$out/decode-kernels-$rows.log" 2>&1 || status=1
  cat "$out/decode-kernels-$rows.log"
done
exit $status
