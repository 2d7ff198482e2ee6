#!/usr/bin/env bash
# Builds here what the GPU machine runs and stages it in build-gpu/ (carried there; see DESIGN.md
# "Testing on a GPU"): stripped liblre, lre, lre_unit_tests and lre_gpu_tests, the Debian shared
# libraries that machine lacks in build-gpu/lib (found through rpath $ORIGIN/lib, $ORIGIN/../lib),
# the test models, the ONNX conformance data and DLPack's header (for the Python module). The build tree itself stays in build-gpu-work/ so build-gpu/ stays small.
# Usage: scripts/package-gpu.sh   (CUDA_ARCHS=90 and JOBS=2 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
work=build-gpu-work
pkg=build-gpu
archs=${CUDA_ARCHS:-90}
jobs=${JOBS:-2}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
[ -f "$work/CMakeCache.txt" ] && generator=()  # keep the generator the tree was made with

cmake -S . -B "$work" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DLRE_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$archs" -DLRE_PYTHON=OFF -DLRE_FFMPEG=OFF >/dev/null
cmake --build "$work" -j "$jobs" --target lre lre_cli lre_unit_tests lre_gpu_tests lre_bench_elementwise \
  lre_whisper_probe lre_bench_decode_kernels

rm -rf "$pkg"
mkdir -p "$pkg/lib" "$pkg/tests" "$pkg/models"
# Same relative layout as the build tree, so the rpaths CMake set there hold here too.
cp "$work/liblre.so.0.1.0" "$pkg/"
ln -s liblre.so.0.1.0 "$pkg/liblre.so.0"
cp "$work/lre" "$pkg/"
cp "$work/tests/lre_unit_tests" "$work/tests/lre_gpu_tests" "$pkg/tests/"
mkdir -p "$pkg/bench"
cp "$work/lre_bench_elementwise" "$work/lre_whisper_probe" "$work/lre_bench_decode_kernels" "$pkg/bench/"
strip --strip-unneeded "$pkg/liblre.so.0.1.0" "$pkg/lre" "$pkg/tests/lre_unit_tests" "$pkg/tests/lre_gpu_tests" \
  "$pkg/bench/lre_bench_elementwise" "$pkg/bench/lre_whisper_probe" "$pkg/bench/lre_bench_decode_kernels"

# Shared libraries from Debian's folders, except those an Ubuntu 24.04 + CUDA 13 machine has
# (glibc's, the compiler runtime, zlib, the CUDA driver, runtime, cuBLAS and cuFFT, which must match its
# driver; the toolkit's own libraries live outside Debian's folders here and are never copied).
keep='^(libc|libm|libdl|librt|libpthread|libresolv|libutil|ld-linux-x86-64|libstdc\+\+|libgcc_s|libz|libcuda|libcudart|libcublas|libcublasLt|libcufft)\.so'
for bin in "$pkg/liblre.so.0.1.0" "$pkg/lre" "$pkg/tests/lre_unit_tests" "$pkg/tests/lre_gpu_tests"; do
  ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
done | sort -u | while read -r name path; do
  case "$path" in /usr/lib/x86_64-linux-gnu/*|/lib/x86_64-linux-gnu/*) ;; *) continue ;; esac
  [[ "$name" =~ $keep ]] && continue
  cp -L "$path" "$pkg/lib/$name"
  strip --strip-unneeded "$pkg/lib/$name" 2>/dev/null || true
done

/usr/bin/python3 scripts/make_test_models.py "$pkg/models" >/dev/null
# DLPack's header, for the Python module that scripts/gpu-pylre.sh compiles there against liblre
# and the repository's include/ (the machine has no libdlpack-dev).
mkdir -p "$pkg/include/dlpack"
cp /usr/include/dlpack/dlpack.h "$pkg/include/dlpack/"
# The ONNX conformance data (Debian's libonnx-testdata; 40 MB, 9 MB packed) for the CUDA run.
tar czf "$pkg/onnx-testdata.tgz" -C /usr/share/libonnx-testdata/data .

echo "build-gpu: $(du -sh "$pkg" | cut -f1)"
ls -l "$pkg" "$pkg/lib" "$pkg/tests"
# Every dependency must resolve inside build-gpu/ or from the system.
if ldd "$pkg/tests/lre_gpu_tests" "$pkg/tests/lre_unit_tests" "$pkg/lre" | grep -q "not found"; then
  ldd "$pkg/tests/lre_gpu_tests" "$pkg/tests/lre_unit_tests" "$pkg/lre" | grep "not found"
  exit 1
fi
