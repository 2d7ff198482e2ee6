// Resize (ONNX Resize and Upsample) on the GPU with the coordinate rules of the CPU kernel
// (src/kernels/cpu/resize.h). Plain C++ can include this header (plain data, no framework types);
// the launcher enqueues on `stream` and never synchronises.
#pragma once

#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

#include "kernels/cuda/elementwise.cuh"
#include "lre/dtype.h"

namespace lre::cuda {

// The same modes as the CPU kernel's enums, value for value.
enum class ResizeMode { Nearest, Linear, Cubic };
enum class ResizeCoord { HalfPixel, PytorchHalfPixel, AlignCorners, Asymmetric, TfHalfPixelForNn, TfCropAndResize };
// Simple is Upsample's and Resize-10's rule: floor when enlarging, ceil when shrinking.
enum class NearestRounding { RoundPreferFloor, RoundPreferCeil, Floor, Ceil, Simple };

struct ResizeParams {
  ResizeMode mode = ResizeMode::Nearest;
  ResizeCoord coord = ResizeCoord::HalfPixel;
  NearestRounding nearest = NearestRounding::RoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0;  // tf_crop_and_resize positions outside the input
};

// y (y_shape) = x (x_shape) resized along any of its dimensions. scales has one entry per
// dimension (output/input length as the model gave it, not the rounded ratio); roi is empty or
// holds the starts then the ends (2 * rank) and is read by TfCropAndResize only. Nearest takes any
// dtype (elements are moved, not converted); Linear and Cubic take Float32, Float16 and BFloat16
// with float32 arithmetic (others: Unsupported). Interpolation is one N-D weighted sum per output
// element (taps^axes terms, for the axes that are resized) where the CPU runs separable passes, so
// results agree to float32 rounding. More than kMaxBroadcastDims dimensions after merging the ones
// that are not resized are refused (Unsupported).
void launch_resize(DType dtype, const void* x, std::span<const int64_t> x_shape, void* y,
                   std::span<const int64_t> y_shape, std::span<const double> scales, std::span<const double> roi,
                   const ResizeParams& params, cudaStream_t stream);

}  // namespace lre::cuda
