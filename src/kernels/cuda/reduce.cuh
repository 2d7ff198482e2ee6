// Launchers of the CUDA reductions: the ONNX Reduce* family over any set of axes, and ArgMax /
// ArgMin along one axis. Plain C++ can include this header (no device code, no framework types);
// every launcher enqueues on the given stream and never synchronises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
// ReduceLogSumExp and ReduceSumSquare.
enum class ReduceOp { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

const char* reduce_op_name(ReduceOp op);  // "ReduceSum", ...

// After merging neighbouring axes that are both kept or both reduced, a reduction with more kept
// or more reduced runs than this is refused (Unsupported).
constexpr int kMaxReduceRuns = 8;

// y = op of x (shape) over `axes` (sorted, distinct, in [0, rank)); y holds the kept axes in order
// (keepdims does not change its memory). Semantics are the CPU kernel's (src/kernels/cpu/reduce.h):
// Max and Min propagate NaN; an empty reduction gives the op's identity (0 for Sum, L1, L2 and
// SumSquare, 1 for Prod, -inf for Max, LogSum and LogSumExp, +inf for Min, NaN for Mean).
// LogSumExp of values holding +inf (and no NaN) is +inf, in whatever order partial results meet.
// Dtypes: Float32, Float16 and BFloat16 (float32 arithmetic) for every op; Int32 and Int64 for
// Sum, Mean, Max, Min, Prod, L1 and SumSquare (sums and products wrap like the type, Mean
// truncates); anything else is Unsupported. Bad axes are InvalidArgument.
void launch_reduce(ReduceOp op, DType dtype, const void* x, std::span<const int64_t> shape,
                   std::span<const int64_t> axes, void* y, cudaStream_t stream);

// Without scratch memory each contiguous row is reduced by one block, so a few very long rows (a
// reduction to a scalar) run on a few SMs. With `workspace` (device memory of at least
// reduce_workspace_bytes(), 8-byte aligned, used only by this launch in stream order), rows longer
// than 65536 elements, fewer than 256 of them, are split across many blocks. The result is the
// same either way up to rounding order; a smaller or misaligned workspace is InvalidArgument.
size_t reduce_workspace_bytes(ReduceOp op, DType dtype, std::span<const int64_t> shape,
                              std::span<const int64_t> axes);  // 0 when the shape would not use it
void launch_reduce(ReduceOp op, DType dtype, const void* x, std::span<const int64_t> shape,
                   std::span<const int64_t> axes, void* y, void* workspace, size_t workspace_bytes,
                   cudaStream_t stream);

// y (outer, inner) = the index along n of the largest (is_max) or smallest element of x
// (outer, n, inner). Ties go to the first index, or to the last with select_last_index; a NaN
// beats every number and the first NaN wins, as in the CPU kernel. Dtypes Float32, Float16,
// BFloat16, Int32 and Int64. n = 0 with a non-empty output is InvalidArgument.
void launch_arg_reduce(bool is_max, DType dtype, const void* x, int64_t outer, int64_t n, int64_t inner,
                       bool select_last_index, int64_t* y, cudaStream_t stream);

}  // namespace lre::cuda
