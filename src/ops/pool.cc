// Pooling ops: MaxPool (with optional Indices), AveragePool, LpPool and their Global forms.
// Attribute and shape rules here, window loops in kernels/cpu/pool. Half types pool in float32.
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/pool.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#include "ops/window_attrs.h"
#if LRE_WITH_CUDA
#include "kernels/cuda/pool.cuh"
#include "kernels/cuda/reduce.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

enum class PoolKind { Max, Average, Lp };

const char* pool_name(PoolKind kind, bool global) {
  switch (kind) {
    case PoolKind::Max: return global ? "GlobalMaxPool" : "MaxPool";
    case PoolKind::Average: return global ? "GlobalAveragePool" : "AveragePool";
    case PoolKind::Lp: return global ? "GlobalLpPool" : "LpPool";
  }
  return "Pool";
}

template <PoolKind kKind, bool kGlobal>
class PoolKernel final : public Kernel {
 public:
  explicit PoolKernel(const KernelInit& init) : kind_(kKind), global_(kGlobal), name_(pool_name(kKind, kGlobal)) {
    const Attributes& a = init.node.attrs;
    if (!kGlobal) {
      attrs_ = WindowAttrs::parse(a, name_);
      if (attrs_.kernel.empty()) fail(std::string(name_) + " needs the kernel_shape attribute");
    }
    count_include_pad_ = a.get_int("count_include_pad", 0) != 0;
    col_major_ = a.get_int("storage_order", 0) != 0;
    // LpPool-1 had a float p; later versions an int.
    if (a.has("p")) {
      const Attribute& attr = a.all().at("p");
      p_ = attr.kind == Attribute::Kind::Float ? attr.f : static_cast<float>(attr.i);
    }
    if (kind_ == PoolKind::Lp && !(p_ > 0.f)) fail(std::string(name_) + ": p must be positive, got " + std::to_string(p_));
    wants_indices_ = init.node.outputs.size() > 1 && init.node.outputs[1] != kNoValue;
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    const size_t rank = in[0].shape.size();
    return cuda_float(in[0].dtype) && kind_ != PoolKind::Lp && !wants_indices_ && rank >= 3 &&
           rank - 2 <= static_cast<size_t>(cuda::kMaxPoolDims);
  }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    if (y.numel() == 0) return;
    const int64_t planes = x.dim(0) * x.dim(1);
    if (global_) {
      // One value per (n, c) plane: a reduction over the flattened spatial dimensions.
      const int64_t shape[2] = {planes, x.numel() / planes};
      const int64_t axes[1] = {1};
      cuda::launch_reduce(kind_ == PoolKind::Max ? cuda::ReduceOp::Max : cuda::ReduceOp::Mean, x.dtype(), x.raw(), shape,
                          axes, y.raw(), stream_of(ctx));
      return;
    }
    const cpu::WindowGeometry g = geometry(x);
    cuda::PoolGeometry pg;
    pg.rank = static_cast<int>(g.rank());
    for (int d = 0; d < pg.rank; ++d) {
      pg.in[d] = g.in[d];
      pg.out[d] = g.out[d];
      pg.kernel[d] = g.kernel[d];
      pg.strides[d] = g.strides[d];
      pg.dilations[d] = g.dilations[d];
      pg.pads_begin[d] = g.pads_begin[d];
      pg.pads_end[d] = g.pads_end[d];
    }
    if (kind_ == PoolKind::Max) cuda::launch_max_pool(x.dtype(), x.raw(), y.raw(), planes, pg, stream_of(ctx));
    else cuda::launch_average_pool(x.dtype(), x.raw(), y.raw(), planes, pg, count_include_pad_, stream_of(ctx));
  }
#endif

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail(std::string(name_) + " needs input X");
    const Tensor& x = *in[0];
    check_dtype(x.dtype());
    cpu::WindowGeometry g = geometry(x);
    Shape out{x.dim(0), x.dim(1)};
    out.insert(out.end(), g.out.begin(), g.out.end());
    std::vector<TensorDesc> descs{{x.dtype(), out}};
    if (kind_ == PoolKind::Max && !global_) descs.push_back({DType::Int64, out});
    return descs;
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    cpu::WindowGeometry g = geometry(x);
    const int64_t planes = x.dim(0) * x.dim(1);
    int64_t* indices = ctx.has_output(1) ? ctx.out(1).data<int64_t>() : nullptr;
    if (y.numel() == 0) return;
    dispatch_dtype(x.dtype(), [&]<typename T>() {
      if constexpr (std::is_same_v<T, float>) {
        run_f32(x.data<float>(), y.data<float>(), indices, planes, g, ctx.pool);
      } else if constexpr (std::is_same_v<compute_t<T>, float>) {
        std::vector<float> xf(static_cast<size_t>(x.numel())), yf(static_cast<size_t>(y.numel()));
        for (int64_t i = 0; i < x.numel(); ++i) xf[i] = static_cast<float>(x.data<T>()[i]);
        run_f32(xf.data(), yf.data(), indices, planes, g, ctx.pool);
        for (int64_t i = 0; i < y.numel(); ++i) y.data<T>()[i] = T(yf[i]);
      } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
        if (kind_ == PoolKind::Max) {
          cpu::max_pool<T>(x.data<T>(), y.data<T>(), indices, planes, g, col_major_, &ctx.pool);
        } else {
          std::vector<float> xf(static_cast<size_t>(x.numel())), yf(static_cast<size_t>(y.numel()));
          for (int64_t i = 0; i < x.numel(); ++i) xf[i] = static_cast<float>(x.data<T>()[i]);
          run_f32(xf.data(), yf.data(), nullptr, planes, g, ctx.pool);
          for (int64_t i = 0; i < y.numel(); ++i) y.data<T>()[i] = static_cast<T>(yf[i]);
        }
      } else {
        throw_unsupported_dtype(x.dtype(), name_);
      }
    });
  }

 private:
  void check_dtype(DType t) const {
    bool ok = t == DType::Float32 || t == DType::Float16 || t == DType::BFloat16 || t == DType::Float64;
    if (kind_ == PoolKind::Max && !global_) ok = ok || t == DType::Int8 || t == DType::UInt8;
    if (!ok) throw_unsupported_dtype(t, name_);
  }

  cpu::WindowGeometry geometry(const Tensor& x) const {
    if (x.rank() < 3) fail(std::string(name_) + ": X must be (N, C, spatial...), got shape " + shape_to_string(x.shape()));
    std::vector<int64_t> spatial(x.shape().begin() + 2, x.shape().end());
    if (global_) {
      cpu::WindowGeometry g;
      g.in = g.kernel = spatial;
      const size_t r = spatial.size();
      g.out = g.strides = g.dilations = std::vector<int64_t>(r, 1);
      g.pads_begin = g.pads_end = std::vector<int64_t>(r, 0);
      return g;
    }
    return resolve_window(attrs_, spatial, attrs_.kernel, name_);
  }

  void run_f32(const float* x, float* y, int64_t* indices, int64_t planes, const cpu::WindowGeometry& g,
               ThreadPool& pool) const {
    switch (kind_) {
      case PoolKind::Max: cpu::max_pool<float>(x, y, indices, planes, g, col_major_, &pool); break;
      case PoolKind::Average: cpu::average_pool_f32(x, y, planes, g, count_include_pad_, &pool); break;
      case PoolKind::Lp: cpu::lp_pool_f32(x, y, planes, g, p_, &pool); break;
    }
  }

  PoolKind kind_;
  bool global_;
  const char* name_;
  WindowAttrs attrs_;
  bool count_include_pad_ = false;
  bool col_major_ = false;
  float p_ = 2.f;
  bool wants_indices_ = false;
};

using MaxPoolKernel = PoolKernel<PoolKind::Max, false>;
using AveragePoolKernel = PoolKernel<PoolKind::Average, false>;
using LpPoolKernel = PoolKernel<PoolKind::Lp, false>;
using GlobalMaxPoolKernel = PoolKernel<PoolKind::Max, true>;
using GlobalAveragePoolKernel = PoolKernel<PoolKind::Average, true>;
using GlobalLpPoolKernel = PoolKernel<PoolKind::Lp, true>;

}  // namespace

LRE_CPU_KERNEL(MaxPool, MaxPoolKernel);
LRE_CPU_KERNEL(AveragePool, AveragePoolKernel);
LRE_CPU_KERNEL(LpPool, LpPoolKernel);
LRE_CPU_KERNEL(GlobalMaxPool, GlobalMaxPoolKernel);
LRE_CPU_KERNEL(GlobalAveragePool, GlobalAveragePoolKernel);
LRE_CPU_KERNEL(GlobalLpPool, GlobalLpPoolKernel);

}  // namespace lre
