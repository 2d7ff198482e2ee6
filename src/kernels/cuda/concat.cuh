// Concat and Split on the GPU for any dtype (elements moved by size). Plain C++ can include this
// header; the launchers enqueue on `stream`, never synchronise and allocate nothing on the device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

namespace lre::cuda {

// Inputs (and outputs) handed to one kernel launch, by value in its parameters; more take several
// launches.
constexpr int kMaxConcatGroup = 64;

// y (outer, sum(axis_sizes), inner) = inputs[i] (outer, axis_sizes[i], inner) side by side along
// the middle axis. Elements of elem_bytes (1, 2, 4 or 8) bytes; inputs with no elements may be null.
void launch_concat(size_t elem_bytes, std::span<const void* const> inputs, std::span<const int64_t> axis_sizes,
                   int64_t outer, int64_t inner, void* y, cudaStream_t stream);

// The inverse: outputs[i] (outer, axis_sizes[i], inner) are consecutive pieces of x (outer,
// sum(axis_sizes), inner) along the middle axis. A null output is skipped (one the model does not use).
void launch_split(size_t elem_bytes, const void* x, int64_t outer, std::span<const int64_t> axis_sizes, int64_t inner,
                  std::span<void* const> outputs, cudaStream_t stream);

}  // namespace lre::cuda
