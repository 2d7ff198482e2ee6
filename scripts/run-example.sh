#!/usr/bin/env bash
# The main job: installs dependencies, builds, writes a ResNet-18-style example model with random
# weights, then describes it, runs it on a random image and benchmarks it with the `lre` CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir=${BUILD_DIR:-build}
out=$build_dir/example
mkdir -p "$out"
/usr/bin/python3 scripts/make_example_model.py "$out/resnet18.onnx"
/usr/bin/python3 -c "import numpy as np; np.save('$out/image.npy', np.random.default_rng(0).standard_normal((1, 3, 224, 224), dtype=np.float32))"
"$build_dir/lre" info "$out/resnet18.onnx"
"$build_dir/lre" run "$out/resnet18.onnx" --input image="$out/image.npy" --output-dir "$out"
/usr/bin/python3 -c "import numpy as np; l = np.load('$out/logits.npy'); print('logits', l.shape, 'top-5 classes', np.argsort(-l[0])[:5])"
"$build_dir/lre" bench "$out/resnet18.onnx" --batch 1 --iterations 20 --warmup 3
