// RoiAlign (opsets 10, 16): attributes, roi and batch-index validation. Opset 10 has no
// coordinate_transformation_mode and behaves as output_half_pixel.
#include <cmath>

#include "core/dispatch.h"
#include "kernels/cpu/roi_align.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

constexpr double kMaxSamples = 1 << 28;  // per roi; beyond this a roi is surely malformed

class RoiAlignKernel final : public Kernel {
 public:
  explicit RoiAlignKernel(const KernelInit& init) {
    const Attributes& a = init.node.attrs;
    std::string mode = a.get_string("mode", "avg");
    if (mode != "avg" && mode != "max") fail("mode '" + mode + "' is not one of avg, max");
    p_.max_mode = mode == "max";
    p_.out_h = a.get_int("output_height", 1);
    p_.out_w = a.get_int("output_width", 1);
    p_.sampling_ratio = a.get_int("sampling_ratio", 0);
    p_.spatial_scale = a.get_float("spatial_scale", 1.0f);
    if (p_.out_h <= 0 || p_.out_w <= 0)
      fail("output_height and output_width must be positive, got " + std::to_string(p_.out_h) + " and " +
           std::to_string(p_.out_w));
    if (p_.sampling_ratio < 0) fail("sampling_ratio must be >= 0, got " + std::to_string(p_.sampling_ratio));
    std::string coord =
        a.get_string("coordinate_transformation_mode", init.opset >= 16 ? "half_pixel" : "output_half_pixel");
    if (coord != "half_pixel" && coord != "output_half_pixel")
      fail("coordinate_transformation_mode '" + coord + "' is not one of half_pixel, output_half_pixel");
    p_.half_pixel = coord == "half_pixel";
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 3 || !in[0] || !in[1] || !in[2]) fail("RoiAlign needs inputs X, rois and batch_indices");
    const Tensor &x = *in[0], &rois = *in[1], &bi = *in[2];
    if (x.rank() != 4) fail("X must be 4-D (N, C, H, W), got shape " + shape_to_string(x.shape()));
    if (rois.rank() != 2 || rois.dim(1) != 4)
      fail("rois must be (num_rois, 4), got shape " + shape_to_string(rois.shape()));
    if (bi.rank() != 1 || bi.dim(0) != rois.dim(0))
      fail("batch_indices must be (num_rois) = (" + std::to_string(rois.dim(0)) + "), got shape " +
           shape_to_string(bi.shape()));
    if (rois.dtype() != x.dtype())
      fail(std::string("rois must have X's dtype ") + dtype_name(x.dtype()) + ", got " + dtype_name(rois.dtype()));
    if (bi.dtype() != DType::Int64 && bi.dtype() != DType::Int32)
      fail(std::string("batch_indices must be int64, got ") + dtype_name(bi.dtype()));
    if (!dtype_is_float(x.dtype()))
      fail_unsupported(std::string("RoiAlign supports float inputs, got ") + dtype_name(x.dtype()));
    if (rois.dim(0) > 0 && x.dim(2) * x.dim(3) == 0)
      fail("X has an empty spatial extent " + shape_to_string(x.shape()));
    return {{x.dtype(), {rois.dim(0), x.dim(1), p_.out_h, p_.out_w}}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor &x = ctx.in(0), &rois = ctx.in(1);
    std::vector<int64_t> bi = read_int_values(ctx.in(2), "batch_indices");
    for (size_t r = 0; r < bi.size(); ++r)
      if (bi[r] < 0 || bi[r] >= x.dim(0))
        fail("batch_indices[" + std::to_string(r) + "] = " + std::to_string(bi[r]) + " is outside [0, " +
             std::to_string(x.dim(0)) + ")");
    dispatch_float(x.dtype(), "RoiAlign", [&]<typename T>() {
      const T* b = rois.data<T>();
      for (int64_t r = 0; r < rois.dim(0); ++r) check_roi<T>(b + r * 4, r);
      cpu::roi_align<T>(x.data<T>(), b, bi.data(), ctx.out(0).data<T>(), x.dim(1), x.dim(2), x.dim(3), rois.dim(0), p_,
                        &ctx.pool);
    });
  }

 private:
  template <typename T>
  void check_roi(const T* b, int64_t r) const {
    double v[4];
    for (int i = 0; i < 4; ++i) v[i] = static_cast<double>(static_cast<compute_t<T>>(b[i]));
    double side_w = (v[2] - v[0]) * p_.spatial_scale, side_h = (v[3] - v[1]) * p_.spatial_scale;
    bool finite = std::isfinite(side_w) && std::isfinite(side_h) && std::isfinite(v[0]) && std::isfinite(v[1]);
    double gh =
        p_.sampling_ratio > 0 ? static_cast<double>(p_.sampling_ratio) : std::ceil(std::max(side_h, 1.0) / p_.out_h);
    double gw =
        p_.sampling_ratio > 0 ? static_cast<double>(p_.sampling_ratio) : std::ceil(std::max(side_w, 1.0) / p_.out_w);
    if (!finite || gh * gw * static_cast<double>(p_.out_h * p_.out_w) > kMaxSamples)
      fail("roi " + std::to_string(r) + " (" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " +
           std::to_string(v[2]) + ", " + std::to_string(v[3]) + ") is not finite or needs too many samples");
  }

  cpu::RoiAlignParams p_;
};

}  // namespace

LRE_CPU_KERNEL(RoiAlign, RoiAlignKernel);

}  // namespace lre
