// Conv and ConvInteger over 1-D, 2-D and 3-D (any N-D) inputs: attribute and shape checks here,
// arithmetic in kernels/cpu/conv. Half types and float64 compute in float32.
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/conv.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#include "ops/window_attrs.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/conv_cudnn.h"
#endif

namespace lre {

namespace {

// Shape rules shared by Conv and ConvInteger: X (N, C, in...), W (M, C / group, kernel...).
cpu::WindowGeometry conv_geometry(const WindowAttrs& attrs, int64_t group, const Tensor& x, const Tensor& w,
                                  const char* op) {
  if (x.rank() < 3)
    fail(std::string(op) + ": X must be (N, C, spatial...), got shape " + shape_to_string(x.shape()));
  if (w.rank() != x.rank())
    fail(std::string(op) + ": W " + shape_to_string(w.shape()) + " must have the rank of X " + shape_to_string(x.shape()));
  if (group <= 0) fail(std::string(op) + ": group must be positive, got " + std::to_string(group));
  if (w.dim(1) * group != x.dim(1))
    fail(std::string(op) + ": X has " + std::to_string(x.dim(1)) + " channels but W " + shape_to_string(w.shape()) +
         " with group " + std::to_string(group) + " expects " + std::to_string(w.dim(1) * group));
  if (w.dim(0) % group != 0)
    fail(std::string(op) + ": W's " + std::to_string(w.dim(0)) + " output channels do not divide into " +
         std::to_string(group) + " groups");
  std::vector<int64_t> kernel(w.shape().begin() + 2, w.shape().end());
  if (!attrs.kernel.empty() && attrs.kernel != kernel)
    fail(std::string(op) + ": kernel_shape " + shape_to_string(attrs.kernel) + " differs from W's spatial shape " +
         shape_to_string(kernel));
  return resolve_window(attrs, std::vector<int64_t>(x.shape().begin() + 2, x.shape().end()), kernel, op);
}

Shape conv_output_shape(const Tensor& x, const Tensor& w, const cpu::WindowGeometry& g) {
  Shape out{x.dim(0), w.dim(0)};
  out.insert(out.end(), g.out.begin(), g.out.end());
  return out;
}

template <typename T>
std::vector<float> to_float(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) out[i] = static_cast<float>(t.data<T>()[i]);
  return out;
}

#if LRE_WITH_CUDA
cuda::ConvProblem conv_problem(const WindowAttrs& attrs, int64_t group, DType dtype, const Shape& x_shape,
                               const Shape& w_shape) {
  const Tensor x = Tensor::wrap(nullptr, dtype, x_shape), w = Tensor::wrap(nullptr, dtype, w_shape);
  return {dtype, x_shape[0], x_shape[1], w_shape[0], group, conv_geometry(attrs, group, x, w, "Conv")};
}
#endif

// Conv, and the fused form graph/fuse_conv_activation.cc makes: attribute activation="Relu" and
// an optional fourth input, a shortcut of the output's shape added before the activation.
class ConvKernel final : public Kernel {
 public:
  explicit ConvKernel(const KernelInit& init)
      : attrs_(WindowAttrs::parse(init.node.attrs, "Conv")),
        group_(init.node.attrs.get_int("group", 1)),
        relu_(init.node.attrs.get_string("activation", "") == "Relu") {
    if (!relu_ && init.node.attrs.has("activation"))
      fail("Conv: unknown fused activation '" + init.node.attrs.get_string("activation", "") + "'");
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("Conv needs inputs X and W");
    const Tensor& x = *in[0];
    const Tensor& w = *in[1];
    if (w.dtype() != x.dtype()) fail("Conv: X and W must share one dtype");
    if (in.size() > 2 && in[2] && (in[2]->rank() != 1 || in[2]->dim(0) != w.dim(0) || in[2]->dtype() != x.dtype()))
      fail("Conv: B must be 1-D of the output channel count " + std::to_string(w.dim(0)) + ", got shape " +
           shape_to_string(in[2]->shape()));
    if (x.dtype() != DType::Float32 && x.dtype() != DType::Float16 && x.dtype() != DType::BFloat16 &&
        x.dtype() != DType::Float64)
      throw_unsupported_dtype(x.dtype(), "Conv");
    Shape out = conv_output_shape(x, w, conv_geometry(attrs_, group_, x, w, "Conv"));
    if (in.size() > 3 && in[3] && (in[3]->shape() != out || in[3]->dtype() != x.dtype()))
      fail("Conv: the fused shortcut must match the output " + shape_to_string(out) + ", got " +
           shape_to_string(in[3]->shape()));
    return {{x.dtype(), std::move(out)}};
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    if (in[0].shape.size() < 3 || in[1].dtype != in[0].dtype) return false;
    return cuda::cudnn_conv_supported(conv_problem(attrs_, group_, in[0].dtype, in[0].shape, in[1].shape));
  }
  void compute_cuda(KernelContext& ctx) const override {
    if (ctx.out(0).numel() == 0) return;
    const Tensor &x = ctx.in(0), &w = ctx.in(1);
    cuda::cudnn_conv_forward(*ctx.cuda, conv_problem(attrs_, group_, x.dtype(), x.shape(), w.shape()), x.raw(), w.raw(),
                             ctx.has_input(2) ? ctx.in(2).raw() : nullptr, ctx.has_input(3) ? ctx.in(3).raw() : nullptr,
                             relu_, ctx.out(0).raw());
  }
#endif

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor& w = ctx.in(1);
    const Tensor* b = ctx.has_input(2) ? &ctx.in(2) : nullptr;
    Tensor& y = ctx.out(0);
    cpu::WindowGeometry g = conv_geometry(attrs_, group_, x, w, "Conv");
    if (y.numel() == 0) return;
    dispatch_float(x.dtype(), "Conv", [&]<typename T>() {
      if constexpr (std::is_same_v<T, float>) {
        cpu::conv_f32(x.data<float>(), w.data<float>(), b ? b->data<float>() : nullptr, y.data<float>(), x.dim(0),
                      x.dim(1), w.dim(0), group_, g, &ctx.pool);
      } else {
        std::vector<float> xf = to_float<T>(x), wf = to_float<T>(w), bf = b ? to_float<T>(*b) : std::vector<float>();
        std::vector<float> yf(static_cast<size_t>(y.numel()));
        cpu::conv_f32(xf.data(), wf.data(), b ? bf.data() : nullptr, yf.data(), x.dim(0), x.dim(1), w.dim(0), group_,
                      g, &ctx.pool);
        for (int64_t i = 0; i < y.numel(); ++i) y.data<T>()[i] = static_cast<T>(yf[i]);
      }
      const T* z = ctx.has_input(3) ? ctx.in(3).data<T>() : nullptr;
      if (!z && !relu_) return;
      T* out = y.data<T>();
      ctx.pool.parallel_for(y.numel(), 4096, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          auto v = static_cast<compute_t<T>>(out[i]) + (z ? static_cast<compute_t<T>>(z[i]) : 0);
          out[i] = static_cast<T>(relu_ && v < 0 ? 0 : v);
        }
      });
    });
  }

 private:
  WindowAttrs attrs_;
  int64_t group_;
  bool relu_;
};

// Widens a uint8/int8 tensor to int32, subtracting a zero point (scalar, or one per slice of
// `per` elements when the zero point holds one value per leading index).
std::vector<int32_t> widen(const Tensor& t, const Tensor* zp, int64_t per, const char* what) {
  if (t.dtype() != DType::UInt8 && t.dtype() != DType::Int8)
    fail(std::string("ConvInteger: ") + what + " must be uint8 or int8, got " + dtype_name(t.dtype()));
  auto at = [](const Tensor& s, int64_t i) -> int32_t {
    return s.dtype() == DType::UInt8 ? s.data<uint8_t>()[i] : s.data<int8_t>()[i];
  };
  int64_t slices = per ? t.numel() / per : 0;
  if (zp && (zp->dtype() != t.dtype() || (zp->numel() != 1 && zp->numel() != slices)))
    fail(std::string("ConvInteger: the zero point of ") + what + " must be a scalar (or one per output channel) of " +
         dtype_name(t.dtype()) + ", got " + dtype_name(zp->dtype()) + " " + shape_to_string(zp->shape()));
  std::vector<int32_t> out(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    int32_t z = zp ? at(*zp, zp->numel() == 1 ? 0 : i / per) : 0;
    out[i] = at(t, i) - z;
  }
  return out;
}

class ConvIntegerKernel final : public Kernel {
 public:
  explicit ConvIntegerKernel(const KernelInit& init)
      : attrs_(WindowAttrs::parse(init.node.attrs, "ConvInteger")), group_(init.node.attrs.get_int("group", 1)) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("ConvInteger needs inputs x and w");
    return {{DType::Int32, conv_output_shape(*in[0], *in[1], conv_geometry(attrs_, group_, *in[0], *in[1], "ConvInteger"))}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor& w = ctx.in(1);
    cpu::WindowGeometry g = conv_geometry(attrs_, group_, x, w, "ConvInteger");
    const Tensor* xzp = ctx.has_input(2) ? &ctx.in(2) : nullptr;
    const Tensor* wzp = ctx.has_input(3) ? &ctx.in(3) : nullptr;
    if (xzp && xzp->numel() != 1) fail("ConvInteger: x_zero_point must be a scalar");
    std::vector<int32_t> xi = widen(x, xzp, x.numel(), "x");
    std::vector<int32_t> wi = widen(w, wzp, w.dim(0) ? w.numel() / w.dim(0) : 0, "w");
    if (ctx.out(0).numel() == 0) return;
    cpu::conv_i32(xi.data(), wi.data(), ctx.out(0).data<int32_t>(), x.dim(0), x.dim(1), w.dim(0), group_, g, &ctx.pool);
  }

 private:
  WindowAttrs attrs_;
  int64_t group_;
};

}  // namespace

LRE_CPU_KERNEL(Conv, ConvKernel);
LRE_CPU_KERNEL(ConvInteger, ConvIntegerKernel);

}  // namespace lre
