#!/usr/bin/env bash
# Runs the element-wise benchmark and its PyTorch peer in one job on the GPU machine and prints a
# markdown table: our time, PyTorch's, the ratio, and the bandwidth floor (bytes over the measured
# copy bandwidth). Usage: bench/elementwise.sh BUILD_GPU_DIR > table.md
set -euo pipefail
pkg=$1
ours=$("$pkg/bench/lre_bench_elementwise")
peer=$(python3 "$(dirname "$0")/elementwise_torch.py")
echo "$ours" | awk '$1=="copy" {printf "Measured device-to-device copy: %.1f GB/s (read + write).\n\n", $5}'
echo "| case | dtype | elements | LRE ms | PyTorch ms | PyTorch / LRE | LRE GB/s | floor ms |"
echo "|---|---|---|---|---|---|---|---|"
join <(echo "$ours" | awk '$1!="copy" {print $1"/"$2, $3, $4, $5, $6}' | sort) \
     <(echo "$peer" | awk '{print $1"/"$2, $4}' | sort) |
  awk '{split($1, k, "/"); printf "| %s | %s | %s | %.3f | %.3f | %.2fx | %.0f | %.3f |\n", k[1], k[2], $2, $3, $6, $6 / $3, $4, $5}'
