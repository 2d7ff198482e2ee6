# Sourced by the GPU machine's jobs with $pkg set to the carried build-gpu/ folder: puts our
# libraries first on the library path, then the CUDA toolkit's and torch's cuDNN where the machine
# has them, and points the tests at the package's models (writing the Whisper test checkpoints,
# tens of MB, there rather than carrying them).
libs=$pkg/lib
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d "$d" ] && libs=$libs:$d; done
cudnn=$(python3 -c "import nvidia.cudnn; print(list(nvidia.cudnn.__path__)[0] + '/lib')" 2>/dev/null || true)
[ -n "$cudnn" ] && [ -d "$cudnn" ] && libs=$libs:$cudnn
export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LRE_TEST_MODELS=$pkg/models
# The unit tests that write a checkpoint run this Python (the system one here has no numpy).
export LRE_TEST_PYTHON=$(command -v python3)
[ -d "$pkg/models/whisper" ] || python3 "$(dirname "${BASH_SOURCE[0]}")/make_tiny_whisper.py" --test-set "$pkg/models/whisper" >/dev/null
