// Launchers of the fused element-wise and row kernels of the native Whisper transformer: residual
// bias + layer norm, bias + GELU, token and position embeddings, KV-cache appends and the conv1d
// im2col. Plain C++ can include this header (no device code, no framework types); every launcher
// enqueues on the given stream and never synchronises. `dtype` (Float32, Float16 or BFloat16) is
// the storage type of every `void*` tensor; the residual stream is float32; arithmetic is float32.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

// residual (rows, d) float32 is the transformer's residual stream. With pending_bias (d) non-null,
// residual[r, c] += pending_bias[c] is written back first (the bias of the product last added into
// the stream, folded in here to save a pass). Then out (rows, d) = LayerNorm(residual row) * gamma
// + beta, biased variance; gamma, beta (d) non-null.
void launch_residual_layer_norm(DType dtype, float* residual, const void* pending_bias, const void* gamma,
                                const void* beta, void* out, int64_t rows, int64_t d, float eps, cudaStream_t stream);

// In place: x (rows, cols) = gelu(x + bias[col]) with the exact GELU 0.5 v (1 + erf(v / sqrt 2));
// bias (cols) non-null.
void launch_bias_gelu(DType dtype, void* x, const void* bias, int64_t rows, int64_t cols, cudaStream_t stream);

// out (rows, d) float32 = embed[tokens[r]] * scale + pos_table[positions[r]]. tokens and positions
// (rows) are device arrays of ids the caller has validated; embed (vocab, d), pos_table (max_pos, d).
void launch_embed_tokens(DType dtype, const int* tokens, const int* positions, const void* embed,
                         const void* pos_table, float scale, float* out, int64_t rows, int64_t d, cudaStream_t stream);

// Copies row r's key qkv[r, k_col, +d) and value qkv[r, v_col, +d) (qkv rows qkv_ld elements apart)
// into row positions[r] of layer `layer` of the cache at cache_base[r], laid out
// (layers, 2, capacity, d): keys then values per layer. cache_base and positions (rows) are device
// arrays, so a captured graph replays with their new contents. A row whose position lies outside
// [0, capacity) is skipped rather than written out of bounds. Any alignment works; 16-byte aligned
// bases, columns and d * element size get 16-byte copies.
void launch_append_kv(DType dtype, const void* qkv, int64_t qkv_ld, int64_t k_col, int64_t v_col,
                      void* const* cache_base, const int* positions, int64_t rows, int64_t d, int64_t layer,
                      int64_t capacity, cudaStream_t stream);

// im2col of a conv1d with kernel 3 and padding 1: cols (batch, frames_out, channels * 3) with
// cols[b, t, c * 3 + k] = x[b * batch_stride + c * channel_stride + (t * stride + k - 1) * time_stride],
// 0 where the input frame falls outside [0, frames_in). Strides are in elements, non-negative;
// stride >= 1. The product with the weight viewed as (out_channels, channels * 3) is the conv.
void launch_conv_im2col(DType dtype, const void* x, int64_t channel_stride, int64_t time_stride, int64_t batch_stride,
                        void* cols, int64_t batch, int64_t channels, int64_t frames_in, int64_t frames_out,
                        int64_t stride, cudaStream_t stream);

// out (windows, frames, d) float32 = x (windows, frames, d) + pos_table[frame] (frames, d).
void launch_add_positions(DType dtype, const void* x, const void* pos_table, float* out, int64_t windows,
                          int64_t frames, int64_t d, cudaStream_t stream);

}  // namespace lre::cuda
