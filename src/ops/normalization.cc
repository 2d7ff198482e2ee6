// BatchNormalization, InstanceNormalization, LayerNormalization, LRN, MeanVarianceNormalization
// and LpNormalization: attributes, opset differences and shape rules; arithmetic is in
// kernels/cpu/normalization.
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/normalization.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/normalization.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

void require_float(const Tensor& t, const char* op) {
  if (!dtype_is_float(t.dtype())) throw_unsupported_dtype(t.dtype(), op);
}

// A small parameter tensor (per channel) as doubles, whatever its float type.
std::vector<double> params_of(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  dispatch_float(t.dtype(), "BatchNormalization parameter", [&]<typename T>() {
    for (int64_t i = 0; i < t.numel(); ++i) out[static_cast<size_t>(i)] = static_cast<double>(static_cast<compute_t<T>>(t.data<T>()[i]));
  });
  return out;
}

template <typename T> void write_params(Tensor& t, const std::vector<double>& v) {
  for (size_t i = 0; i < v.size(); ++i) t.data<T>()[i] = static_cast<T>(static_cast<compute_t<T>>(v[i]));
}

// Inference uses the given statistics. Training (training_mode from opset 14; before that, a node
// that asks for the extra outputs) normalises with the batch statistics and also returns the
// updated running statistics (and before opset 14 the batch statistics themselves).
class BatchNormKernel final : public Kernel {
 public:
  explicit BatchNormKernel(const KernelInit& init)
      : opset_(init.opset),
        eps_(init.node.attrs.get_float("epsilon", 1e-5f)),
        momentum_(init.node.attrs.get_float("momentum", 0.9f)),
        spatial_(init.opset >= 9 || init.node.attrs.get_int("spatial", 1) != 0) {
    if (opset_ >= 14) {
      training_ = init.node.attrs.get_int("training_mode", 0) != 0;
    } else {
      bool extra = false;
      for (size_t i = 1; i < init.node.outputs.size(); ++i) extra = extra || init.node.outputs[i] != kNoValue;
      training_ = extra && (opset_ >= 7 || init.node.attrs.get_int("is_test", 0) == 0);
    }
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    if (training_ || !spatial_ || !cuda_float(in[0].dtype) || in[0].shape.size() < 2) return false;
    for (size_t i = 1; i < 5; ++i)
      if (in[i].dtype != in[0].dtype) return false;
    return true;
  }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const int64_t n = x.dim(0), c = x.dim(1), inner = n * c != 0 ? x.numel() / (n * c) : 0;
    cuda::launch_batch_norm(x.dtype(), x.raw(), ctx.in(1).raw(), ctx.in(2).raw(), ctx.in(3).raw(), ctx.in(4).raw(),
                            ctx.out(0).raw(), n, c, inner, static_cast<float>(eps_), stream_of(ctx));
  }
#endif

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 5 || !in[0] || !in[1] || !in[2] || !in[3] || !in[4])
      fail("BatchNormalization needs inputs X, scale, B, mean and var");
    const Tensor& x = *in[0];
    require_float(x, "BatchNormalization");
    if (x.rank() < 2) fail("BatchNormalization needs X of rank 2 or more (N, C, ...), got " + shape_to_string(x.shape()));
    const int64_t c = channels(x.shape());
    const char* names[] = {"scale", "B", "mean", "var"};
    for (int i = 1; i < 5; ++i) {
      require_float(*in[i], "BatchNormalization");
      if (in[i]->numel() != c)
        fail(std::string("BatchNormalization: ") + names[i - 1] + " has shape " + shape_to_string(in[i]->shape()) + ", expected " +
             std::to_string(c) + " elements (" + (spatial_ ? "one per channel" : "one per channel and position, spatial=0") + ")");
    }
    std::vector<TensorDesc> out{{x.dtype(), x.shape()}};
    const DType stat = opset_ >= 14 ? in[3]->dtype() : x.dtype();
    for (int i = 0; i < 4; ++i) out.push_back({stat, in[3]->shape()});
    return out;
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const int64_t n = x.dim(0), c = channels(x.shape()), inner = x.numel() / std::max<int64_t>(1, n * c);
    std::vector<double> scale = params_of(ctx.in(1)), bias = params_of(ctx.in(2));
    std::vector<double> mean = params_of(ctx.in(3)), var = params_of(ctx.in(4));
    dispatch_float(x.dtype(), "BatchNormalization", [&]<typename T>() {
      if (!training_) {
        cpu::batch_norm(x.data<T>(), ctx.out(0).data<T>(), n, c, inner, scale.data(), bias.data(), mean.data(), var.data(), eps_,
                        &ctx.pool);
        return;
      }
      std::vector<double> batch_mean(static_cast<size_t>(c)), batch_var(static_cast<size_t>(c));
      cpu::channel_moments(x.data<T>(), n, c, inner, batch_mean.data(), batch_var.data(), &ctx.pool);
      cpu::batch_norm(x.data<T>(), ctx.out(0).data<T>(), n, c, inner, scale.data(), bias.data(), batch_mean.data(),
                      batch_var.data(), eps_, &ctx.pool);
      std::vector<double> running_mean(mean.size()), running_var(var.size());
      for (size_t k = 0; k < mean.size(); ++k) {
        running_mean[k] = mean[k] * momentum_ + batch_mean[k] * (1 - momentum_);
        running_var[k] = var[k] * momentum_ + batch_var[k] * (1 - momentum_);
      }
      const std::vector<double>* stats[] = {&running_mean, &running_var, &batch_mean, &batch_var};
      for (size_t i = 1; i < 5; ++i) {
        if (!ctx.has_output(i)) continue;
        dispatch_float(ctx.out(i).dtype(), "BatchNormalization", [&]<typename S>() { write_params<S>(ctx.out(i), *stats[i - 1]); });
      }
    });
  }

 private:
  // Parameters are per channel, or with spatial=0 per channel and position.
  int64_t channels(const Shape& s) const {
    if (spatial_) return s[1];
    int64_t c = 1;
    for (size_t d = 1; d < s.size(); ++d) c *= s[d];
    return c;
  }

  int opset_;
  double eps_, momentum_;
  bool spatial_;
  bool training_ = false;
};

class InstanceNormKernel final : public Kernel {
 public:
  explicit InstanceNormKernel(const KernelInit& init) : eps_(init.node.attrs.get_float("epsilon", 1e-5f)) {}

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    return cuda_float(in[0].dtype) && in[0].shape.size() >= 2 && in[1].dtype == in[0].dtype && in[2].dtype == in[0].dtype;
  }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const int64_t n = x.dim(0), c = x.dim(1), inner = n * c != 0 ? x.numel() / (n * c) : 0;
    cuda::launch_instance_norm(x.dtype(), x.raw(), ctx.in(1).raw(), ctx.in(2).raw(), ctx.out(0).raw(), n, c, inner,
                               static_cast<float>(eps_), stream_of(ctx));
  }
#endif

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 3 || !in[0] || !in[1] || !in[2]) fail("InstanceNormalization needs inputs input, scale and B");
    const Tensor& x = *in[0];
    require_float(x, "InstanceNormalization");
    if (x.rank() < 2) fail("InstanceNormalization needs input of rank 2 or more (N, C, ...), got " + shape_to_string(x.shape()));
    for (int i = 1; i < 3; ++i) {
      if (in[i]->dtype() != x.dtype()) fail("InstanceNormalization: scale and B must have the input's dtype");
      if (in[i]->numel() != x.dim(1))
        fail(std::string("InstanceNormalization: ") + (i == 1 ? "scale" : "B") + " has shape " + shape_to_string(in[i]->shape()) +
             ", expected one element per channel (" + std::to_string(x.dim(1)) + ")");
    }
    return {{x.dtype(), x.shape()}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const int64_t n = x.dim(0), c = x.dim(1), inner = n * c != 0 ? x.numel() / (n * c) : 0;
    dispatch_float(x.dtype(), "InstanceNormalization", [&]<typename T>() {
      cpu::instance_norm(x.data<T>(), ctx.out(0).data<T>(), n, c, inner, ctx.in(1).data<T>(), ctx.in(2).data<T>(), eps_, &ctx.pool);
    });
  }

 private:
  double eps_;
};

// Normalises over the axes from `axis` on. Scale and B broadcast to X.shape[axis:]; Mean and
// InvStdDev keep the leading axes and have 1 for the normalised ones.
class LayerNormKernel final : public Kernel {
 public:
  explicit LayerNormKernel(const KernelInit& init)
      : axis_(init.node.attrs.get_int("axis", -1)), eps_(init.node.attrs.get_float("epsilon", 1e-5f)) {
    int64_t stash = init.node.attrs.get_int("stash_type", 1);
    if (stash == 1) stash_ = DType::Float32;
    else if (stash == 11) stash_ = DType::Float64;
    else fail_unsupported("LayerNormalization stash_type " + std::to_string(stash) + " (supported: 1 float, 11 double)");
    for (size_t i = 1; i < init.node.outputs.size(); ++i) wants_stats_ = wants_stats_ || init.node.outputs[i] != kNoValue;
  }

#if LRE_WITH_CUDA
  // Scale and B as full rows (what exported models carry); Mean and InvStdDev not requested.
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    if (wants_stats_ || stash_ != DType::Float32 || !cuda_float(in[0].dtype)) return false;
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(in[0].shape.size()));
    const int64_t cols = shape_numel(Shape(in[0].shape.begin() + axis, in[0].shape.end()));
    for (size_t i = 1; i < 3 && i < in.size(); ++i)
      if (in[i].present && (in[i].dtype != in[0].dtype || shape_numel(in[i].shape) != cols)) return false;
    return true;
  }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(x.rank()));
    const int64_t cols = shape_numel(Shape(x.shape().begin() + axis, x.shape().end()));
    const int64_t rows = cols ? x.numel() / cols : 0;
    cuda::launch_layer_norm(x.dtype(), x.raw(), ctx.in(1).raw(), ctx.has_input(2) ? ctx.in(2).raw() : nullptr,
                            ctx.out(0).raw(), rows, cols, static_cast<float>(eps_), stream_of(ctx));
  }
#endif

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("LayerNormalization needs inputs X and Scale");
    const Tensor& x = *in[0];
    require_float(x, "LayerNormalization");
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(x.rank()));
    const Shape norm(x.shape().begin() + axis, x.shape().end());
    for (size_t i = 1; i < 3 && i < in.size(); ++i) {
      if (!in[i]) continue;
      if (in[i]->dtype() != x.dtype()) fail("LayerNormalization: Scale and B must have X's dtype");
      if (in[i]->rank() > norm.size() || broadcast_shapes(in[i]->shape(), norm) != norm)
        fail(std::string("LayerNormalization: ") + (i == 1 ? "Scale" : "B") + " of shape " + shape_to_string(in[i]->shape()) +
             " does not broadcast to the normalised shape " + shape_to_string(norm));
    }
    Shape stat(x.shape().begin(), x.shape().begin() + axis);
    stat.resize(x.rank(), 1);
    return {{x.dtype(), x.shape()}, {stash_, stat}, {stash_, stat}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(x.rank()));
    const Shape norm(x.shape().begin() + axis, x.shape().end());
    const int64_t cols = shape_numel(norm), rows = cols ? x.numel() / cols : 0;
    const Tensor* bias = ctx.has_input(2) ? ctx.inputs[2] : nullptr;
    dispatch_float(x.dtype(), "LayerNormalization", [&]<typename T>() {
      std::vector<T> scale_buf, bias_buf;
      const T* scale = expanded<T>(ctx.in(1), norm, scale_buf);
      const T* b = bias ? expanded<T>(*bias, norm, bias_buf) : nullptr;
      dispatch_float(stash_, "LayerNormalization", [&]<typename U>() {
        if constexpr (std::is_same_v<U, float> || std::is_same_v<U, double>) {
          U* mean = ctx.has_output(1) ? ctx.out(1).data<U>() : nullptr;
          U* inv = ctx.has_output(2) ? ctx.out(2).data<U>() : nullptr;
          cpu::layer_norm<T, U>(x.data<T>(), ctx.out(0).data<T>(), rows, cols, scale, b, eps_, mean, inv, &ctx.pool);
        }
      });
    });
  }

 private:
  // The parameter as a full (cols) row: itself when it already is one, else broadcast into buf.
  template <typename T>
  static const T* expanded(const Tensor& p, const Shape& norm, std::vector<T>& buf) {
    const int64_t cols = shape_numel(norm);
    if (p.numel() == cols) return p.data<T>();
    buf.resize(static_cast<size_t>(cols));
    std::vector<int64_t> st = broadcast_strides(p.shape(), norm);
    std::vector<int64_t> idx(norm.size(), 0);
    for (int64_t j = 0; j < cols; ++j) {
      int64_t off = 0;
      for (size_t d = 0; d < norm.size(); ++d) off += idx[d] * st[d];
      buf[static_cast<size_t>(j)] = p.data<T>()[off];
      for (size_t d = norm.size(); d-- > 0;) {
        if (++idx[d] < norm[d]) break;
        idx[d] = 0;
      }
    }
    return buf.data();
  }

  int64_t axis_;
  double eps_;
  DType stash_ = DType::Float32;
  bool wants_stats_ = false;
};

class LrnKernel final : public Kernel {
 public:
  explicit LrnKernel(const KernelInit& init)
      : size_(init.node.attrs.get_int("size")),
        alpha_(init.node.attrs.get_float("alpha", 1e-4f)),
        beta_(init.node.attrs.get_float("beta", 0.75f)),
        bias_(init.node.attrs.get_float("bias", 1.0f)) {
    if (size_ < 1) fail("LRN size must be positive, got " + std::to_string(size_));
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("LRN needs one input");
    require_float(*in[0], "LRN");
    if (in[0]->rank() < 2) fail("LRN needs X of rank 2 or more (N, C, ...), got " + shape_to_string(in[0]->shape()));
    return {{in[0]->dtype(), in[0]->shape()}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const int64_t n = x.dim(0), c = x.dim(1), inner = n * c != 0 ? x.numel() / (n * c) : 0;
    dispatch_float(x.dtype(), "LRN", [&]<typename T>() {
      cpu::lrn(x.data<T>(), ctx.out(0).data<T>(), n, c, inner, size_, alpha_, beta_, bias_, &ctx.pool);
    });
  }

 private:
  int64_t size_;
  double alpha_, beta_, bias_;
};

class MeanVarianceNormKernel final : public Kernel {
 public:
  explicit MeanVarianceNormKernel(const KernelInit& init) : axes_(init.node.attrs.get_ints("axes", {0, 2, 3})) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("MeanVarianceNormalization needs one input");
    require_float(*in[0], "MeanVarianceNormalization");
    axes(in[0]->shape());
    return {{in[0]->dtype(), in[0]->shape()}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    cpu::ReduceLayout layout = cpu::reduce_layout(x.shape(), axes(x.shape()));
    dispatch_float(x.dtype(), "MeanVarianceNormalization", [&]<typename T>() {
      cpu::mean_variance_norm(x.data<T>(), ctx.out(0).data<T>(), layout, &ctx.pool);
    });
  }

 private:
  std::vector<int64_t> axes(const Shape& s) const {
    std::vector<int64_t> out;
    for (int64_t a : axes_) {
      int64_t axis = normalize_axis(a, static_cast<int64_t>(s.size()), "MeanVarianceNormalization axes entry");
      for (int64_t b : out)
        if (b == axis) fail("MeanVarianceNormalization: axis " + std::to_string(a) + " is given twice");
      out.push_back(axis);
    }
    return out;
  }

  std::vector<int64_t> axes_;
};

class LpNormKernel final : public Kernel {
 public:
  explicit LpNormKernel(const KernelInit& init)
      : axis_(init.node.attrs.get_int("axis", -1)), p_(init.node.attrs.get_int("p", 2)) {
    if (p_ != 1 && p_ != 2) fail("LpNormalization p must be 1 or 2, got " + std::to_string(p_));
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail("LpNormalization needs one input");
    require_float(*in[0], "LpNormalization");
    normalize_axis(axis_, static_cast<int64_t>(in[0]->rank()));
    return {{in[0]->dtype(), in[0]->shape()}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Shape& s = x.shape();
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(s.size()));
    const auto [outer, n, inner] = split_at_axis(s, axis);
    dispatch_float(x.dtype(), "LpNormalization", [&]<typename T>() {
      cpu::lp_norm(x.data<T>(), ctx.out(0).data<T>(), outer, n, inner, static_cast<int>(p_), &ctx.pool);
    });
  }

 private:
  int64_t axis_, p_;
};

}  // namespace

LRE_CPU_KERNEL(BatchNormalization, BatchNormKernel);
LRE_CPU_KERNEL(InstanceNormalization, InstanceNormKernel);
LRE_CPU_KERNEL(LayerNormalization, LayerNormKernel);
LRE_CPU_KERNEL(LRN, LrnKernel);
LRE_CPU_KERNEL(MeanVarianceNormalization, MeanVarianceNormKernel);
LRE_CPU_KERNEL(LpNormalization, LpNormKernel);

}  // namespace lre
