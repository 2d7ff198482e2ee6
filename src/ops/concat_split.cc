// Concat and Split: joining tensors along an axis and cutting one into pieces. Split's sizes come
// from the 'split' attribute (opset < 13), the 'split' input (13+), num_outputs (18+), or equal parts.
#include <tuple>

#include "kernels/cpu/concat_split.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/concat.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

// (outer, inner) element counts around `axis`.
std::pair<int64_t, int64_t> outer_inner(const Shape& s, size_t axis) {
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < s.size(); ++d) {
    if (d < axis) outer *= s[d];
    if (d > axis) inner *= s[d];
  }
  return {outer, inner};
}

class ConcatKernel final : public Kernel {
 public:
  explicit ConcatKernel(const KernelInit& init) : axis_(init.node.attrs.get_int("axis")) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& first = required_input(in, 0, "Concat input 0");
    if (first.rank() == 0) fail("Concat inputs must have rank 1 or more, input 0 is a scalar");
    const size_t axis = static_cast<size_t>(normalize_axis(axis_, static_cast<int64_t>(first.rank()), "Concat axis"));
    Shape out = first.shape();
    out[axis] = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const Tensor& t = required_input(in, i, "Concat input " + std::to_string(i));
      bool ok = t.dtype() == first.dtype() && t.rank() == first.rank();
      for (size_t d = 0; ok && d < t.rank(); ++d) ok = d == axis || t.dim(d) == first.dim(d);
      if (!ok)
        fail("Concat input " + std::to_string(i) + " is " + dtype_name(t.dtype()) + " " + shape_to_string(t.shape()) +
             ", expected " + dtype_name(first.dtype()) + " matching " + shape_to_string(first.shape()) + " except along axis " +
             std::to_string(axis));
      out[axis] += t.dim(axis);
    }
    return {{first.dtype(), out}};
  }
  void compute(KernelContext& ctx) const override {
    const Pieces p = pieces(ctx);
    cpu::concat(p.ptrs, p.sizes, ctx.out(0).raw(), p.outer, p.inner, dtype_size(ctx.in(0).dtype()), &ctx.pool);
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override {
    if (ctx.out(0).numel() == 0) return;
    const Pieces p = pieces(ctx);
    cuda::launch_concat(dtype_size(ctx.in(0).dtype()), p.ptrs, p.sizes, p.outer, p.inner, ctx.out(0).raw(), stream_of(ctx));
  }
#endif

 private:
  // Each input as (outer, sizes[i], inner) around the axis.
  struct Pieces {
    std::vector<const void*> ptrs;
    std::vector<int64_t> sizes;
    int64_t outer = 1, inner = 1;
  };
  Pieces pieces(const KernelContext& ctx) const {
    const Tensor& first = ctx.in(0);
    const size_t axis = static_cast<size_t>(normalize_axis(axis_, static_cast<int64_t>(first.rank()), "Concat axis"));
    Pieces p;
    for (const Tensor* t : ctx.inputs) {
      p.ptrs.push_back(t->raw());
      p.sizes.push_back(t->dim(axis));
    }
    std::tie(p.outer, p.inner) = outer_inner(first.shape(), axis);
    return p;
  }

  int64_t axis_;
};

class SplitKernel final : public Kernel {
 public:
  explicit SplitKernel(const KernelInit& init)
      : axis_(init.node.attrs.get_int("axis", 0)),
        outputs_(static_cast<int64_t>(init.node.outputs.size())),
        num_outputs_(init.opset >= 18 ? init.node.attrs.get_int("num_outputs", 0) : 0),
        split_(init.node.attrs, "split", init.opset, 13, 1) {
    if (outputs_ == 0) fail("Split needs at least one output");
    if (num_outputs_ != 0 && num_outputs_ != outputs_)
      fail("Split num_outputs is " + std::to_string(num_outputs_) + " but the node has " + std::to_string(outputs_) + " outputs");
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Split input");
    const size_t axis = static_cast<size_t>(normalize_axis(axis_, static_cast<int64_t>(x.rank()), "Split axis"));
    std::vector<TensorDesc> out;
    for (int64_t s : sizes(in, x, axis)) {
      Shape shape = x.shape();
      shape[axis] = s;
      out.push_back({x.dtype(), shape});
    }
    return out;
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const size_t axis = static_cast<size_t>(normalize_axis(axis_, static_cast<int64_t>(x.rank()), "Split axis"));
    std::vector<void*> ptrs;
    for (size_t i = 0; i < static_cast<size_t>(outputs_); ++i) ptrs.push_back(ctx.has_output(i) ? ctx.out(i).raw() : nullptr);
    auto [outer, inner] = outer_inner(x.shape(), axis);
    cpu::split(x.raw(), ptrs, sizes(ctx.inputs, x, axis), outer, inner, dtype_size(x.dtype()), &ctx.pool);
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const size_t axis = static_cast<size_t>(normalize_axis(axis_, static_cast<int64_t>(x.rank()), "Split axis"));
    std::vector<void*> ptrs;
    for (size_t i = 0; i < static_cast<size_t>(outputs_); ++i) ptrs.push_back(ctx.has_output(i) ? ctx.out(i).raw() : nullptr);
    auto [outer, inner] = outer_inner(x.shape(), axis);
    if (x.numel() == 0) return;
    cuda::launch_split(dtype_size(x.dtype()), x.raw(), outer, sizes(shape_rule_inputs(ctx), x, axis), inner, ptrs,
                       stream_of(ctx));
  }
#endif
  std::vector<int> shape_value_inputs() const override { return {1}; }

 private:
  std::vector<int64_t> sizes(std::span<const Tensor* const> in, const Tensor& x, size_t axis) const {
    const int64_t dim = x.dim(axis);
    std::vector<int64_t> s;
    if (split_.get(in, "Split 'split'", s)) {
      int64_t total = 0;
      for (int64_t v : s) {
        if (v < 0) fail("Split sizes must not be negative, got " + std::to_string(v));
        total += v;
      }
      if (static_cast<int64_t>(s.size()) != outputs_ || total != dim)
        fail("Split sizes " + shape_to_string(s) + " must have one entry per output (" + std::to_string(outputs_) +
             ") and sum to the axis size " + std::to_string(dim));
      return s;
    }
    if (num_outputs_ != 0) {
      // Opset 18: equal chunks of ceil(dim / n), the last one smaller.
      const int64_t chunk = (dim + outputs_ - 1) / outputs_;
      for (int64_t i = 0; i < outputs_; ++i) s.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
      return s;
    }
    if (dim % outputs_ != 0)
      fail("Split cannot cut axis " + std::to_string(axis) + " of size " + std::to_string(dim) + " into " + std::to_string(outputs_) +
           " equal parts");
    return std::vector<int64_t>(static_cast<size_t>(outputs_), dim / outputs_);
  }

  int64_t axis_, outputs_, num_outputs_;
  IntsAttrOrInput split_;
};

}  // namespace

LRE_CPU_KERNEL(Concat, ConcatKernel);
LRE_CPU_KERNEL(Split, SplitKernel);

}  // namespace lre
