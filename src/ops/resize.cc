// Resize (opsets 10, 11, 13) and Upsample (opsets 7, 9): attribute parsing, the scales/sizes/roi
// inputs and output shapes. Upsample and Resize-10 are asymmetric with floor-like nearest rounding.
#include <cmath>

#include "core/dispatch.h"
#include "kernels/cpu/resize.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/resize.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

std::vector<double> read_float_values(const Tensor& t, const char* what) {
  if (t.rank() > 1) fail(std::string(what) + " must be a 1-D tensor, got shape " + shape_to_string(t.shape()));
  std::vector<double> v(static_cast<size_t>(t.numel()));
  dispatch_float(t.dtype(), what, [&]<typename T>() {
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(static_cast<compute_t<T>>(t.data<T>()[i]));
  });
  return v;
}

cpu::ResizeMode parse_mode(const std::string& m) {
  if (m == "nearest") return cpu::ResizeMode::Nearest;
  if (m == "linear" || m == "bilinear") return cpu::ResizeMode::Linear;
  if (m == "cubic") return cpu::ResizeMode::Cubic;
  fail("mode '" + m + "' is not one of nearest, linear, cubic");
}

cpu::ResizeCoord parse_coord(const std::string& c) {
  if (c == "half_pixel") return cpu::ResizeCoord::HalfPixel;
  if (c == "pytorch_half_pixel") return cpu::ResizeCoord::PytorchHalfPixel;
  if (c == "align_corners") return cpu::ResizeCoord::AlignCorners;
  if (c == "asymmetric") return cpu::ResizeCoord::Asymmetric;
  if (c == "tf_half_pixel_for_nn") return cpu::ResizeCoord::TfHalfPixelForNn;
  if (c == "tf_crop_and_resize") return cpu::ResizeCoord::TfCropAndResize;
  fail("coordinate_transformation_mode '" + c +
       "' is not one of half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn, "
       "tf_crop_and_resize");
}

cpu::NearestRounding parse_nearest(const std::string& n) {
  if (n == "round_prefer_floor") return cpu::NearestRounding::RoundPreferFloor;
  if (n == "round_prefer_ceil") return cpu::NearestRounding::RoundPreferCeil;
  if (n == "floor") return cpu::NearestRounding::Floor;
  if (n == "ceil") return cpu::NearestRounding::Ceil;
  fail("nearest_mode '" + n + "' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil");
}

class ResizeKernel final : public Kernel {
 public:
  explicit ResizeKernel(const KernelInit& init) : op_(init.node.op_type) {
    const Attributes& a = init.node.attrs;
    params_.mode = parse_mode(a.get_string("mode", "nearest"));
    const bool legacy = op_ == "Upsample" || init.opset < 11;
    if (legacy) {
      if (params_.mode == cpu::ResizeMode::Cubic) fail(op_ + " before opset 11 supports nearest and linear modes only");
      params_.coord = cpu::ResizeCoord::Asymmetric;
      params_.nearest = cpu::NearestRounding::Simple;
      if (op_ == "Upsample" && init.opset < 9) {
        if (!a.has("scales")) fail("Upsample-7 needs the 'scales' attribute");
        for (float s : a.get_floats("scales")) attr_scales_.push_back(s);
      } else {
        scales_input_ = 1;
      }
      return;
    }
    params_.coord = parse_coord(a.get_string("coordinate_transformation_mode", "half_pixel"));
    params_.nearest = parse_nearest(a.get_string("nearest_mode", "round_prefer_floor"));
    params_.cubic_a = a.get_float("cubic_coeff_a", -0.75f);
    params_.exclude_outside = a.get_int("exclude_outside", 0) != 0;
    params_.extrapolation_value = a.get_float("extrapolation_value", 0.0f);
    if (a.has("antialias") || a.has("axes") || a.has("keep_aspect_ratio"))
      fail_unsupported("Resize attributes antialias, axes and keep_aspect_ratio (opset 18) are not supported");
    roi_input_ = 1;
    scales_input_ = 2;
    sizes_input_ = 3;
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    return {{in.empty() || !in[0] ? DType::Float32 : in[0]->dtype(), plan(in).out}};
  }

  void compute(KernelContext& ctx) const override {
    Plan p = plan(ctx.inputs);
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    auto run = [&]<typename T>() {
      cpu::resize<T>(x.data<T>(), x.shape(), y.data<T>(), p.out, p.scales, p.roi, params_, &ctx.pool);
    };
    if (params_.mode == cpu::ResizeMode::Nearest) dispatch_dtype(x.dtype(), run);
    else dispatch_numeric(x.dtype(), (op_ + " in linear or cubic mode").c_str(), run);
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    return cuda_float(in[0].dtype) && params_.mode != cpu::ResizeMode::Cubic;
  }
  void compute_cuda(KernelContext& ctx) const override {
    const Plan p = plan(shape_rule_inputs(ctx));
    const Tensor& x = ctx.in(0);
    cuda::ResizeParams cp;
    cp.mode = static_cast<cuda::ResizeMode>(params_.mode);
    cp.coord = static_cast<cuda::ResizeCoord>(params_.coord);
    cp.nearest = static_cast<cuda::NearestRounding>(params_.nearest);
    cp.cubic_a = params_.cubic_a;
    cp.exclude_outside = params_.exclude_outside;
    cp.extrapolation_value = params_.extrapolation_value;
    if (ctx.out(0).numel() == 0) return;
    cuda::launch_resize(x.dtype(), x.raw(), x.shape(), ctx.out(0).raw(), p.out, p.scales, p.roi, cp, stream_of(ctx));
  }
#endif

  std::vector<int> shape_value_inputs() const override {
    std::vector<int> v;
    // roi only sizes the output of tf_crop_and_resize.
    if (params_.coord == cpu::ResizeCoord::TfCropAndResize && roi_input_ >= 0) v.push_back(roi_input_);
    for (int i : {scales_input_, sizes_input_})
      if (i >= 0) v.push_back(i);
    return v;
  }

 private:
  struct Plan {
    Shape out;
    std::vector<double> scales;  // per axis, as the kernel's coordinate transforms want them
    std::vector<double> roi;     // empty, or starts then ends
  };

  const Tensor* optional_input(std::span<const Tensor* const> in, int i) const {
    if (i < 0 || i >= static_cast<int>(in.size()) || !in[i] || in[i]->numel() == 0) return nullptr;
    return in[i];
  }

  Plan plan(std::span<const Tensor* const> in) const {
    if (in.empty() || !in[0]) fail(op_ + " needs the input X");
    const Shape& xs = in[0]->shape();
    const size_t rank = xs.size();
    Plan p;
    if (const Tensor* roi = optional_input(in, roi_input_)) {
      p.roi = read_float_values(*roi, "roi");
      if (p.roi.size() != 2 * rank)
        fail("roi has " + std::to_string(p.roi.size()) + " values, expected 2 * rank = " + std::to_string(2 * rank) +
             " for input shape " + shape_to_string(xs));
    }
    if (params_.coord == cpu::ResizeCoord::TfCropAndResize && p.roi.empty())
      fail("coordinate_transformation_mode tf_crop_and_resize needs the roi input");

    const Tensor* scales = optional_input(in, scales_input_);
    const Tensor* sizes = optional_input(in, sizes_input_);
    if (scales && sizes) fail(op_ + " takes scales or sizes, not both");
    if (!scales && !sizes && attr_scales_.empty()) fail(op_ + " needs non-empty scales or sizes");
    p.out.resize(rank);
    if (sizes) {
      std::vector<int64_t> s = read_int_values(*sizes, "sizes");
      if (s.size() != rank)
        fail("sizes has " + std::to_string(s.size()) + " values, expected one per axis of input shape " +
             shape_to_string(xs));
      for (size_t d = 0; d < rank; ++d) {
        if (s[d] < 0) fail("sizes " + shape_to_string(s) + " has a negative size");
        p.out[d] = s[d];
        p.scales.push_back(xs[d] == 0 ? 1.0 : static_cast<double>(s[d]) / static_cast<double>(xs[d]));
      }
    } else {
      p.scales =
          scales ? read_float_values(*scales, "scales") : std::vector<double>(attr_scales_.begin(), attr_scales_.end());
      if (p.scales.size() != rank)
        fail("scales has " + std::to_string(p.scales.size()) + " values, expected one per axis of input shape " +
             shape_to_string(xs));
      for (size_t d = 0; d < rank; ++d) {
        if (!(p.scales[d] > 0) || !std::isfinite(p.scales[d]))
          fail("scales must be positive and finite, got " + std::to_string(p.scales[d]) + " for axis " +
               std::to_string(d));
        double len = static_cast<double>(xs[d]) * p.scales[d];
        if (params_.coord == cpu::ResizeCoord::TfCropAndResize) len *= p.roi[d + rank] - p.roi[d];
        if (!(len >= 0) || len > 9.0e15) fail("scales give an invalid length for axis " + std::to_string(d));
        p.out[d] = static_cast<int64_t>(std::floor(len));
      }
    }
    for (size_t d = 0; d < rank; ++d)
      if (xs[d] == 0 && p.out[d] > 0)
        fail("cannot resize empty axis " + std::to_string(d) + " of input shape " + shape_to_string(xs) +
             " to length " + std::to_string(p.out[d]));
    return p;
  }

  std::string op_;
  cpu::ResizeParams params_;
  std::vector<float> attr_scales_;  // Upsample-7
  int roi_input_ = -1, scales_input_ = -1, sizes_input_ = -1;
};

}  // namespace

LRE_CPU_KERNEL(Resize, ResizeKernel);
LRE_CPU_KERNEL(Upsample, ResizeKernel);

}  // namespace lre
