// Products of a few rows with a weight matrix, y = x W^T, for decoding: one token per sequence
// makes a product of 1 to 8 rows, which is pure weight streaming (each weight read once, used
// `rows` times). cuBLAS's tensor-core tiles waste most of their work at that size; here each warp
// streams whole weight rows with 16-byte loads and keeps one float32 sum per input row.
// Plain C++ can include this header; the launcher enqueues on the given stream.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

// Rows a launch takes at most.
inline constexpr int64_t kGemvMaxRows = 8;

// Whether launch_gemv_rows takes these operands: 1..kGemvMaxRows rows, `in` a multiple of the
// 16-byte vector width of `dtype`, x (or a fused norm's residual) and w 16-byte aligned, and
// rows + 2 rows of `in` elements within the 160 KiB a block stages.
bool gemv_rows_supported(DType dtype, int64_t rows, int64_t in, const void* x, const void* w);

// A self-attention step's key and value columns, also stored into per-row KV caches laid out
// (layers, 2, capacity, d) of the product's dtype: output column first_col + c goes to row
// positions[r] of the key (c < d) or value (c - d) block of `layer` in cache_base[r]. Rows whose
// position is outside [0, capacity) are not stored. cache_base and positions are device arrays of
// `rows` entries, read when the kernel runs (so a captured graph follows later steps' tables).
struct GemvKvAppend {
  void* const* cache_base = nullptr;
  const int* positions = nullptr;
  int64_t first_col = 0, d = 0, layer = 0, capacity = 0;
};

// What a transformer fuses around the product, each part optional.
struct GemvFusion {
  // Prologue: the input rows are layer_norm(residual) * gamma + beta_ln (residual float32 (rows,
  // in), gamma and beta_ln of `dtype`), rounded to `dtype` as a separate norm would store them;
  // x is then unused. Every block normalises the rows itself, so no normalised copy is written.
  const float* residual = nullptr;
  const void* gamma = nullptr;
  const void* beta_ln = nullptr;
  float eps = 1e-5f;
  // Epilogue: + bias[col] (of `dtype`), then exact GELU when `gelu`, before beta * y is added.
  const void* bias = nullptr;
  bool gelu = false;
  // Epilogue, last: the key and value columns also go to the caches (y_dtype must equal dtype).
  GemvKvAppend kv;
};

// y (rows, out) = x (rows, in) W^T + beta * y, W (out, in) row-major. x and w have `dtype`
// (Float32, Float16 or BFloat16); y has y_dtype (dtype or Float32), leading dimension out.
// Float32 accumulation. Throws InvalidArgument where gemv_rows_supported is false. The kernel may
// start while the stream's previous kernel runs: it reads x, the norm's operands, the KV tables
// and y, and writes y and the caches, only after every earlier kernel of the stream has completed,
// but reads w and fusion.bias before that: they are constants, which no kernel still in flight on
// the stream may write.
void launch_gemv_rows(DType dtype, DType y_dtype, const void* x, const void* w, void* y, int64_t rows, int64_t in,
                      int64_t out, float beta, cudaStream_t stream, const GemvFusion& fusion = {});

}  // namespace lre::cuda
