// Launchers of the CUDA max and average pooling kernels over 1, 2 or 3 spatial dimensions. The
// window geometry is a plain struct (the CPU's WindowGeometry holds std::vectors), resolved by the
// caller: output sizes already account for ceil_mode and auto_pad. Plain C++ can include this
// header; every launcher enqueues on the given stream and never synchronises.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

constexpr int kMaxPoolDims = 3;

// Mirrors lre::cpu::WindowGeometry (src/kernels/cpu/sliding_window.h) for `rank` spatial
// dimensions; entries past rank are ignored.
struct PoolGeometry {
  int rank = 0;
  int64_t in[kMaxPoolDims] = {};          // spatial input sizes
  int64_t out[kMaxPoolDims] = {};         // spatial output sizes (window positions)
  int64_t kernel[kMaxPoolDims] = {};      // window extent, before dilation
  int64_t strides[kMaxPoolDims] = {};
  int64_t dilations[kMaxPoolDims] = {};
  int64_t pads_begin[kMaxPoolDims] = {};  // padding before the first element
  int64_t pads_end[kMaxPoolDims] = {};    // padding after the last (average pooling may count it)
};

// y (batch_channels, out...) = the largest element of each window of x (batch_channels, in...);
// padding never wins, a window with no element inside the input gives -inf. Dtypes Float32,
// Float16, BFloat16. Geometry entries out of range (rank outside 1..3, non-positive kernel, stride
// or dilation, negative sizes or pads) are InvalidArgument.
void launch_max_pool(DType dtype, const void* x, void* y, int64_t batch_channels, const PoolGeometry& g,
                     cudaStream_t stream);

// y = the mean of each window, summed in float32. The divisor counts the taps inside the input, or
// with count_include_pad the taps inside the padded input (pads_begin and pads_end included, taps
// past pads_end never); a window with nothing to count gives 0.
void launch_average_pool(DType dtype, const void* x, void* y, int64_t batch_channels, const PoolGeometry& g,
                         bool count_include_pad, cudaStream_t stream);

}  // namespace lre::cuda
