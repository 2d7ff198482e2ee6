// Gather, GatherElements and GatherND: shape rules and checks; the index-driven copies are in
// kernels/cpu/gather. Indices are int32 or int64; negative ones count from the end of their axis.
#include <tuple>

#include "kernels/cpu/gather.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/gather.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

class GatherKernel final : public Kernel {
 public:
  explicit GatherKernel(const KernelInit& init) : axis_(init.node.attrs.get_int("axis", 0)) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Gather input 'data'");
    const Tensor& idx = required_input(in, 1, "Gather input 'indices'");
    index_data(idx, "Gather indices");
    if (x.rank() == 0) fail("Gather data must have rank 1 or more, got a scalar");
    const size_t axis = static_cast<size_t>(normalize_axis(axis_, static_cast<int64_t>(x.rank()), "Gather axis"));
    Shape out(x.shape().begin(), x.shape().begin() + static_cast<int64_t>(axis));
    out.insert(out.end(), idx.shape().begin(), idx.shape().end());
    out.insert(out.end(), x.shape().begin() + static_cast<int64_t>(axis) + 1, x.shape().end());
    return {{x.dtype(), out}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor& idx = ctx.in(1);
    const auto [outer, axis, inner] = layout(x);
    cpu::gather(x.raw(), ctx.out(0).raw(), dtype_size(x.dtype()), outer, x.dim(axis), inner, index_data(idx, "Gather indices"),
                idx.numel(), &ctx.pool);
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor& idx = ctx.in(1);
    const auto [outer, axis, inner] = layout(x);
    if (ctx.out(0).numel() == 0) return;
    cuda::launch_gather(dtype_size(x.dtype()), x.raw(), outer, x.dim(axis), inner, idx.raw(), idx.dtype(), idx.numel(),
                        ctx.out(0).raw(), stream_of(ctx));
  }
#endif

 private:
  // Elements before the axis, the axis itself, elements after it.
  std::tuple<int64_t, size_t, int64_t> layout(const Tensor& x) const {
    const size_t axis = static_cast<size_t>(normalize_axis(axis_, static_cast<int64_t>(x.rank()), "Gather axis"));
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < x.rank(); ++d) {
      if (d < axis) outer *= x.dim(d);
      if (d > axis) inner *= x.dim(d);
    }
    return {outer, axis, inner};
  }

  int64_t axis_;
};

class GatherElementsKernel final : public Kernel {
 public:
  explicit GatherElementsKernel(const KernelInit& init) : axis_(init.node.attrs.get_int("axis", 0)) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "GatherElements input 'data'");
    const Tensor& idx = required_input(in, 1, "GatherElements input 'indices'");
    index_data(idx, "GatherElements indices");
    check_shapes(x, idx);
    return {{x.dtype(), idx.shape()}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor& idx = ctx.in(1);
    cpu::gather_elements(x.raw(), x.shape(), ctx.out(0).raw(), dtype_size(x.dtype()), index_data(idx, "GatherElements indices"),
                         idx.shape(), check_shapes(x, idx), &ctx.pool);
  }

 private:
  // The normalised axis, after checking that indices fit inside data along the other axes.
  int64_t check_shapes(const Tensor& x, const Tensor& idx) const {
    if (x.rank() == 0) fail("GatherElements data must have rank 1 or more, got a scalar");
    const int64_t axis = normalize_axis(axis_, static_cast<int64_t>(x.rank()), "GatherElements axis");
    bool ok = idx.rank() == x.rank();
    for (size_t d = 0; ok && d < x.rank(); ++d) ok = static_cast<int64_t>(d) == axis || idx.dim(d) <= x.dim(d);
    if (!ok)
      fail("GatherElements indices " + shape_to_string(idx.shape()) + " must have the rank of data " + shape_to_string(x.shape()) +
           " and be no larger along axes other than " + std::to_string(axis));
    return axis;
  }
  int64_t axis_;
};

class GatherNDKernel final : public Kernel {
 public:
  explicit GatherNDKernel(const KernelInit& init) : batch_dims_(init.opset >= 12 ? init.node.attrs.get_int("batch_dims", 0) : 0) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "GatherND input 'data'");
    const Tensor& idx = required_input(in, 1, "GatherND input 'indices'");
    Layout l = layout(x, idx);
    Shape out(idx.shape().begin(), idx.shape().end() - 1);
    out.insert(out.end(), x.shape().begin() + static_cast<int64_t>(batch_dims_ + l.k), x.shape().end());
    return {{x.dtype(), out}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor& idx = ctx.in(1);
    Layout l = layout(x, idx);
    cpu::gather_nd(x.raw(), ctx.out(0).raw(), dtype_size(x.dtype()), l.batch, l.index_dims, l.slice, index_data(idx, "GatherND indices"),
                   l.count, &ctx.pool);
  }

 private:
  struct Layout {
    int64_t k = 0, batch = 1, count = 1, slice = 1;
    Shape index_dims;
  };
  Layout layout(const Tensor& x, const Tensor& idx) const {
    index_data(idx, "GatherND indices");
    const int64_t r = static_cast<int64_t>(x.rank()), q = static_cast<int64_t>(idx.rank()), b = batch_dims_;
    if (r < 1 || q < 1) fail("GatherND data and indices must have rank 1 or more, got " + shape_to_string(x.shape()) + " and " + shape_to_string(idx.shape()));
    if (b < 0 || b >= std::min(r, q)) fail("GatherND batch_dims " + std::to_string(b) + " must be in [0, min(rank(data), rank(indices)))");
    Layout l;
    l.k = idx.shape().back();
    if (l.k < 1 || l.k > r - b)
      fail("GatherND indices last dimension " + std::to_string(l.k) + " must be in [1, " + std::to_string(r - b) + "] for data " +
           shape_to_string(x.shape()) + " and batch_dims " + std::to_string(b));
    for (int64_t d = 0; d < r; ++d) {
      const int64_t n = x.dim(static_cast<size_t>(d));
      if (d < b) {
        if (idx.dim(static_cast<size_t>(d)) != n)
          fail("GatherND batch dimensions of data " + shape_to_string(x.shape()) + " and indices " + shape_to_string(idx.shape()) + " differ");
        l.batch *= n;
      } else if (d < b + l.k) {
        l.index_dims.push_back(n);
      } else {
        l.slice *= n;
      }
    }
    for (int64_t d = b; d < q - 1; ++d) l.count *= idx.dim(static_cast<size_t>(d));
    return l;
  }
  int64_t batch_dims_;
};

}  // namespace

LRE_CPU_KERNEL(Gather, GatherKernel);
LRE_CPU_KERNEL(GatherElements, GatherElementsKernel);
LRE_CPU_KERNEL(GatherND, GatherNDKernel);

}  // namespace lre
