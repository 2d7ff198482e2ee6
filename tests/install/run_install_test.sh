#!/usr/bin/env bash
# Installs the built LRE into a temporary prefix, builds the consumer project against it with
# find_package(lre), and runs it on a model: usage run_install_test.sh BUILD_DIR MODEL.
set -euo pipefail
build_dir=$1 model=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$(dirname "$0")" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
out=$("$work/consumer/lre_consumer" "$model")
echo "$out"
[ "$out" = "logits [1, 10]" ]
