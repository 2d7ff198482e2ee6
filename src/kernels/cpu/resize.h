// Resize arithmetic for ONNX Resize and Upsample: each axis maps output positions to input taps
// (index, weight) once; nearest is one N-D gather, linear and cubic are separable 1-D passes, which
// cost (taps per axis) instead of (taps ^ axes) per element.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "lre/tensor.h"

namespace lre::cpu {

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

// Output position j of one axis reads input index[j * taps + t] (already clamped to the input)
// with weight[j * taps + t]; outside[j] marks tf_crop_and_resize positions beyond the input.
struct ResizeAxisTaps {
  int64_t taps = 1;
  std::vector<int64_t> index;
  std::vector<double> weight;
  std::vector<uint8_t> outside;
  bool any_outside = false;
  bool identity = false;  // output j is exactly input j
};

// `scale` is output/input length as the model gave it (the float scale, not the rounded ratio);
// roi_start/roi_end are used by tf_crop_and_resize only.
ResizeAxisTaps resize_axis_taps(int64_t in_len, int64_t out_len, double scale, double roi_start, double roi_end,
                                const ResizeParams& p);

// y (out_shape) = x (in_shape) resized. scales has one entry per axis; roi is empty or holds the
// starts then the ends (2 * rank). Linear and cubic compute in float (double for double) and round
// integer outputs to nearest.
template <typename T>
void resize(const T* x, const Shape& in_shape, T* y, const Shape& out_shape, std::span<const double> scales,
            std::span<const double> roi, const ResizeParams& p, ThreadPool* pool);

}  // namespace lre::cpu
