// Launcher of the Whisper encoder's fused ("flash") self-attention: every frame of a window attends
// to every frame of the same window, with no mask, and the (frames, frames) scores never reach
// memory. Plain C++ can include this header; the launcher enqueues on the given stream and never
// synchronises.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

// Rows [w * frames, (w + 1) * frames) of q, k, v and out belong to window w. Row i of q starts at
// q + i * ld elements, and likewise for k and v, which share ld: they are usually the column offsets
// 0, d and 2 d of one (windows * frames, 3 d) QKV product, ld = 3 d, d = heads * head_dim. Head h
// holds the columns [h * head_dim, (h + 1) * head_dim). For row i of window w and head h:
//   out[i * out_ld + h * head_dim + j] = sum_t softmax_t((q_i + q_bias_h) . k_t) v_t[j]
// over the rows t of window w, q_bias (heads * head_dim) being skipped when null. The
// 1 / sqrt(head_dim) scale is the caller's, already in q. dtype Float32, Float16 or BFloat16
// (others throw Unsupported); float32 accumulation and softmax statistics, the tensor-core path
// rounding q + q_bias and the softmax weights to dtype for its products. head_dim 0..128, heads
// and windows up to 65535, frames up to 2^30; other sizes, ld or out_ld below d, or a null q, k,
// v or out throw InvalidArgument. Columns of out past d are not written; out must not overlap q,
// k or v. Empty work (no window, frame, head or column) launches nothing.
void launch_encoder_attention(DType dtype, const void* q, const void* k, const void* v, int64_t ld,
                              const void* q_bias, void* out, int64_t out_ld, int64_t windows, int64_t frames,
                              int64_t heads, int64_t head_dim, cudaStream_t stream);

// Whether launch_encoder_attention runs these arguments on tensor cores: Float16 or BFloat16,
// head_dim 64 (every Whisper size), q, k, v, out and a non-null q_bias 16-byte aligned, ld and
// out_ld multiples of 8 elements. Anything else takes the float32 CUDA-core kernel. Tests and
// benchmarks ask this to know which path they measure.
bool encoder_attention_uses_tensor_cores(DType dtype, const void* q, const void* k, const void* v, int64_t ld,
                                         const void* q_bias, const void* out, int64_t out_ld, int64_t head_dim);

}  // namespace lre::cuda
