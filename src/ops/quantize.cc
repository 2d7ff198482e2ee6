// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear: attribute and shape rules. Scales
// and zero points are per tensor (scalar or one element) or, from opset 13, per slice along `axis`.
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/quantize.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

// Where scale and zero point apply: x seen as (outer, channels, inner).
struct QuantGeometry {
  int64_t outer = 1, channels = 1, inner = 1;
};

// Validates scale (and zero point, when given) against x and returns the geometry.
QuantGeometry quant_geometry(const char* op, const Tensor& x, const Tensor& scale, const Tensor* zero_point,
                             int64_t axis_attr, int opset) {
  QuantGeometry g;
  g.inner = x.numel();
  if (zero_point && zero_point->shape() != scale.shape())
    fail(std::string(op) + ": zero point shape " + shape_to_string(zero_point->shape()) +
         " must match the scale shape " + shape_to_string(scale.shape()));
  if (scale.rank() == 0 || (scale.rank() == 1 && scale.numel() == 1)) return g;
  if (opset < 13 || scale.rank() != 1)
    fail(std::string(op) + ": scale must be a scalar" + (opset < 13 ? "" : " or 1-D") + ", got shape " +
         shape_to_string(scale.shape()));
  int64_t axis = normalize_axis(axis_attr, static_cast<int64_t>(x.rank()));
  if (scale.numel() != x.dim(static_cast<size_t>(axis)))
    fail(std::string(op) + ": per-axis scale has " + std::to_string(scale.numel()) + " elements, input " +
         shape_to_string(x.shape()) + " has " + std::to_string(x.dim(static_cast<size_t>(axis))) + " along axis " +
         std::to_string(axis));
  g.channels = scale.numel();
  g.inner = 1;
  for (int64_t i = 0; i < static_cast<int64_t>(x.rank()); ++i) {
    if (i < axis) g.outer *= x.dim(static_cast<size_t>(i));
    if (i > axis) g.inner *= x.dim(static_cast<size_t>(i));
  }
  return g;
}

// Shape inference sees only dtypes and shapes (on a GPU the data is not on the host then).
void check_scale_dtype(const char* op, const Tensor& scale) {
  if (!dtype_is_float(scale.dtype()) || scale.dtype() == DType::Float64)
    fail(std::string(op) + ": scale must be float32, float16 or bfloat16, got " + dtype_name(scale.dtype()));
}

std::vector<float> read_scales(const char* op, const Tensor& scale) {
  check_scale_dtype(op, scale);
  std::vector<float> s(static_cast<size_t>(scale.numel()));
  dispatch_float(scale.dtype(), op, [&]<typename T>() {
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<float>(scale.data<T>()[i]);
  });
  return s;
}

class QuantizeLinearKernel final : public Kernel {
 public:
  explicit QuantizeLinearKernel(const KernelInit& init)
      : axis_(init.node.attrs.get_int("axis", 1)), opset_(init.opset) {
    if (init.node.attrs.get_int("block_size", 0) != 0)
      fail_unsupported("QuantizeLinear: blocked quantisation (block_size) is not supported");
  }
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("QuantizeLinear needs inputs x and y_scale");
    const Tensor* zp = in.size() > 2 ? in[2] : nullptr;
    DType x = in[0]->dtype();
    if (x != DType::Float32 && x != DType::Float16 && x != DType::BFloat16 && x != DType::Int32)
      fail(std::string("QuantizeLinear: x must be float32, float16, bfloat16 or int32, got ") + dtype_name(x));
    DType q = zp ? zp->dtype() : DType::UInt8;
    if (q != DType::UInt8 && q != DType::Int8)
      fail(std::string("QuantizeLinear: y_zero_point must be uint8 or int8, got ") + dtype_name(q));
    check_scale_dtype("QuantizeLinear", *in[1]);
    quant_geometry("QuantizeLinear", *in[0], *in[1], zp, axis_, opset_);
    return {{q, in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor* zp = ctx.has_input(2) ? &ctx.in(2) : nullptr;
    QuantGeometry g = quant_geometry("QuantizeLinear", x, ctx.in(1), zp, axis_, opset_);
    std::vector<float> scale = read_scales("QuantizeLinear", ctx.in(1));
    Tensor& y = ctx.out(0);
    auto by_q = [&]<typename In>() {
      auto run = [&]<typename Q>() {
        cpu::quantize_linear<In, Q>(x.data<In>(), scale.data(), zp ? zp->data<Q>() : nullptr, y.data<Q>(), g.outer,
                                    g.channels, g.inner, &ctx.pool);
      };
      if (y.dtype() == DType::UInt8)
        run.template operator()<uint8_t>();
      else
        run.template operator()<int8_t>();
    };
    switch (x.dtype()) {
      case DType::Float32:
        by_q.template operator()<float>();
        break;
      case DType::Float16:
        by_q.template operator()<Half>();
        break;
      case DType::BFloat16:
        by_q.template operator()<BFloat16>();
        break;
      default:
        by_q.template operator()<int32_t>();
        break;
    }
  }

 private:
  int64_t axis_;
  int opset_;
};

class DequantizeLinearKernel final : public Kernel {
 public:
  explicit DequantizeLinearKernel(const KernelInit& init)
      : axis_(init.node.attrs.get_int("axis", 1)), opset_(init.opset) {
    if (init.node.attrs.get_int("block_size", 0) != 0)
      fail_unsupported("DequantizeLinear: blocked quantisation (block_size) is not supported");
  }
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("DequantizeLinear needs inputs x and x_scale");
    const Tensor* zp = in.size() > 2 ? in[2] : nullptr;
    DType x = in[0]->dtype();
    if (x != DType::UInt8 && x != DType::Int8 && x != DType::Int32)
      fail(std::string("DequantizeLinear: x must be uint8, int8 or int32, got ") + dtype_name(x));
    if (zp && zp->dtype() != x)
      fail(std::string("DequantizeLinear: x_zero_point must have x's dtype ") + dtype_name(x) + ", got " +
           dtype_name(zp->dtype()));
    check_scale_dtype("DequantizeLinear", *in[1]);
    quant_geometry("DequantizeLinear", *in[0], *in[1], zp, axis_, opset_);
    return {{in[1]->dtype(), in[0]->shape()}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor* zp = ctx.has_input(2) ? &ctx.in(2) : nullptr;
    QuantGeometry g = quant_geometry("DequantizeLinear", x, ctx.in(1), zp, axis_, opset_);
    std::vector<float> scale = read_scales("DequantizeLinear", ctx.in(1));
    Tensor& y = ctx.out(0);
    auto by_out = [&]<typename Q>() {
      dispatch_float(y.dtype(), "DequantizeLinear", [&]<typename Out>() {
        if constexpr (std::is_same_v<Out, double>) {
          fail("DequantizeLinear: float64 scales are not supported");
        } else {
          cpu::dequantize_linear<Q, Out>(x.data<Q>(), scale.data(), zp ? zp->data<Q>() : nullptr, y.data<Out>(),
                                         g.outer, g.channels, g.inner, &ctx.pool);
        }
      });
    };
    switch (x.dtype()) {
      case DType::UInt8:
        by_out.template operator()<uint8_t>();
        break;
      case DType::Int8:
        by_out.template operator()<int8_t>();
        break;
      default:
        by_out.template operator()<int32_t>();
        break;
    }
  }

 private:
  int64_t axis_;
  int opset_;
};

class DynamicQuantizeLinearKernel final : public Kernel {
 public:
  explicit DynamicQuantizeLinearKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("DynamicQuantizeLinear needs input x");
    if (in[0]->dtype() != DType::Float32)
      fail(std::string("DynamicQuantizeLinear: x must be float32, got ") + dtype_name(in[0]->dtype()));
    return {{DType::UInt8, in[0]->shape()}, {DType::Float32, {}}, {DType::UInt8, {}}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    // The scale and zero point are needed for y even when the model does not want them.
    float scale = 0;
    uint8_t zero_point = 0;
    std::vector<uint8_t> scratch;
    uint8_t* y = ctx.has_output(0) ? ctx.out(0).data<uint8_t>() : nullptr;
    if (!y) {
      scratch.resize(static_cast<size_t>(x.numel()));
      y = scratch.data();
    }
    cpu::dynamic_quantize_linear(x.data<float>(), x.numel(), y, &scale, &zero_point, &ctx.pool);
    if (ctx.has_output(1)) ctx.out(1).data<float>()[0] = scale;
    if (ctx.has_output(2)) ctx.out(2).data<uint8_t>()[0] = zero_point;
  }
};

}  // namespace

LRE_CPU_KERNEL(QuantizeLinear, QuantizeLinearKernel);
LRE_CPU_KERNEL(DequantizeLinear, DequantizeLinearKernel);
LRE_CPU_KERNEL(DynamicQuantizeLinear, DynamicQuantizeLinearKernel);

}  // namespace lre
