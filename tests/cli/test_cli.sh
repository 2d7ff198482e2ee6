#!/usr/bin/env bash
# The `lre` command line end to end: each subcommand on the test model, and its errors (exit status
# and message) on bad files. Usage: test_cli.sh LRE_BINARY MODELS_DIR PYTHON
set -uo pipefail
lre=$1 models=$2 python=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {  # check NAME EXPECTED_STATUS PATTERN COMMAND...
  local name=$1 want=$2 pattern=$3
  shift 3
  local out status
  out=$("$@" 2>&1)
  status=$?
  if [ "$status" != "$want" ] || ! grep -qE "$pattern" <<<"$out"; then
    echo "FAIL $name: status $status (want $want), output:"
    echo "$out" | head -20
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

model=$models/resnet_tiny.onnx
"$python" -c "import numpy as np; np.save('$work/x.npy', np.random.default_rng(3).standard_normal((2, 3, 32, 32), dtype=np.float32))"
check info 0 "memory plan \(batch 1\): [0-9.]+ (KiB|MiB)" "$lre" info "$model"
check run 0 "logits: float32 \[2, 10\]" "$lre" run "$model" --input image="$work/x.npy" --output-dir "$work/out"
check run-output 0 "ok" "$python" -c "
import numpy as np
y = np.load('$work/out/logits.npy')
assert y.shape == (2, 10) and np.isfinite(y).all() and y.std() > 0, y
print('ok')"
check bench 0 "p99 [0-9.]+.*" "$lre" bench "$model" --batch 2 --iterations 3 --warmup 1
check run-bad-npy 2 "not a readable .npy file" "$lre" run "$model" --input image="$model"
check run-wrong-name 2 "unknown input 'img'" "$lre" run "$model" --input img="$work/x.npy"
head -c 700 "$model" >"$work/truncated.onnx"
check info-truncated 1 "invalid model: .*truncated" "$lre" info "$work/truncated.onnx"
check info-missing 1 "i/o error: .*no such file" "$lre" info "$work/none.onnx"
check bench-bad-args 2 "at least 1" "$lre" bench "$model" --iterations 0

# A conformance directory with one passing case (the model on its own outputs) and one corrupt model.
mkdir -p "$work/conf/good/test_data_set_0" "$work/conf/bad/test_data_set_0"
cp "$model" "$work/conf/good/model.onnx"
"$python" - "$work" <<'PY'
import sys, numpy as np, onnx
from onnx import numpy_helper
work = sys.argv[1]
x = np.load(f"{work}/x.npy")
y = np.load(f"{work}/out/logits.npy")
for name, arr, path in (("image", x, "input_0.pb"), ("logits", y, "output_0.pb")):
    with open(f"{work}/conf/good/test_data_set_0/{path}", "wb") as f:
        f.write(numpy_helper.from_array(arr, name).SerializeToString())
PY
printf 'not a model' >"$work/conf/bad/model.onnx"
check conformance 0 "conformance: 1 passed, 1 failed, 0 skipped" "$lre" conformance "$work/conf" -j 2
check conformance-min-pass 1 "fewer than the required 2" "$lre" conformance "$work/conf" --min-pass 2

# Whisper transcription on a tiny random checkpoint: structure only, its text is gibberish.
"$python" "$(dirname "$0")/../../scripts/make_tiny_whisper.py" "$work/whisper" >/dev/null
"$python" -c "
import wave, numpy as np
x = (np.random.default_rng(1).standard_normal(16000 * 3) * 3000).astype(np.int16)
with wave.open('$work/noise.wav', 'wb') as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(x.tobytes())"
check transcribe 0 "noise.wav: [0-9]+ segments, 3.0 s, language en" "$lre" transcribe "$work/noise.wav" \
  --model "$work/whisper" --language en --output-format json --output-dir "$work/asr"
check transcribe-json 0 '"duration": 3.0' cat "$work/asr/noise.json"
# --best-of reaches the sampler: at temperature 1 alone, 1 and 4 samples keep different text.
for n in 1 4; do
  check transcribe-best-of-$n 0 "noise.wav: [0-9]+ segments" "$lre" transcribe "$work/noise.wav" \
    --model "$work/whisper" --language en --temperature 1 --best-of $n --output-format json --output-dir "$work/best$n"
done
check transcribe-best-of-differs 1 "" cmp -s "$work/best1/noise.json" "$work/best4/noise.json"
check transcribe-beam-patience 0 "noise.wav: [0-9]+ segments" "$lre" transcribe "$work/noise.wav" \
  --model "$work/whisper" --language en --beam-size 3 --patience 2 --best-of 2 --output-dir "$work/beam"
check transcribe-bad-patience 2 "invalid argument: --patience must be a number above 0" "$lre" transcribe \
  "$work/noise.wav" --model "$work/whisper" --patience 0
check transcribe-patience-rounds-to-0 2 "invalid argument: beam_size 5 \* patience 0.05.* at least 1" "$lre" transcribe \
  "$work/noise.wav" --model "$work/whisper" --beam-size 5 --patience 0.05
check transcribe-bad-best-of 2 "invalid argument: --best-of must be at least 1" "$lre" transcribe "$work/noise.wav" \
  --model "$work/whisper" --best-of 0
check transcribe-no-model 1 "i/o error: --model .*no such directory" "$lre" transcribe "$work/noise.wav" --model "$work/none"
check transcribe-no-audio 1 "i/o error: .*none.wav" "$lre" transcribe "$work/none.wav" --model "$work/whisper"

exit $((failures > 0))
