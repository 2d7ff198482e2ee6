// Convolutions on cuDNN (NCHW, 1 to 3 spatial dimensions, groups, dilations) with the bias added
// in place. The algorithm is measured once per problem in the first run of a shape and kept in
// the context's tuning table, so steady-state runs only enqueue.
#pragma once

#include <cstdint>

#include "device/cuda/kernel_env.h"
#include "kernels/cpu/sliding_window.h"
#include "lre/dtype.h"

namespace lre::cuda {

struct ConvProblem {
  DType dtype = DType::Float32;
  int64_t batch = 0, in_channels = 0, out_channels = 0, groups = 1;
  cpu::WindowGeometry window;  // spatial sizes, kernel, strides, dilations, pads

  size_t output_bytes() const {
    return static_cast<size_t>(batch * out_channels * cpu::product(window.out)) * dtype_size(dtype);
  }
};

// cuDNN pads symmetrically: problems with pads_begin != pads_end (or other dtypes) are refused.
bool cudnn_conv_supported(const ConvProblem& p);

// y (batch, out_channels, out...) = act(conv(x, w) + bias + z): bias (out_channels) and the
// shortcut z (y's shape) may be null; act is Relu or the identity. With a bias and Relu this is
// one cuDNN call.
void cudnn_conv_forward(KernelEnv& env, const ConvProblem& p, const void* x, const void* w, const void* bias,
                        const void* z, bool relu, void* y);

}  // namespace lre::cuda
