// Expand (broadcast to a shape) and Tile (repeat along each axis): both are strided views of the
// input, with stride 0 along the repeated axes, copied by the strided-copy kernel.
#include "kernels/cpu/strided_copy.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/expand.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

class ExpandKernel final : public Kernel {
 public:
  explicit ExpandKernel(const KernelInit&) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Expand input");
    Shape shape = read_int_values(required_input(in, 1, "Expand input 'shape'"), "Expand input 'shape'");
    for (int64_t d : shape)
      if (d < 0) fail("Expand shape " + shape_to_string(shape) + " has a negative dimension");
    return {{x.dtype(), broadcast_shapes(x.shape(), shape)}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    cpu::strided_copy(x.raw(), y.raw(), dtype_size(x.dtype()), y.shape(), broadcast_strides(x.shape(), y.shape()), 0, &ctx.pool);
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    if (y.numel() == 0) return;
    cuda::launch_expand(dtype_size(x.dtype()), x.raw(), x.shape(), y.raw(), y.shape(), stream_of(ctx));
  }
#endif
  std::vector<int> shape_value_inputs() const override { return {1}; }
};

class TileKernel final : public Kernel {
 public:
  explicit TileKernel(const KernelInit&) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Tile input");
    std::vector<int64_t> reps = repeats(x, required_input(in, 1, "Tile input 'repeats'"));
    Shape out = x.shape();
    for (size_t d = 0; d < out.size(); ++d) out[d] *= reps[d];
    return {{x.dtype(), out}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    std::vector<int64_t> reps = repeats(x, ctx.in(1));
    // Output axis d viewed as (repeat, x.dim(d)): the repeat walks nothing, the rest walks x.
    std::vector<int64_t> x_strides = strides_of(x.shape());
    Shape shape;
    std::vector<int64_t> strides;
    for (size_t d = 0; d < x.rank(); ++d) {
      shape.insert(shape.end(), {reps[d], x.dim(d)});
      strides.insert(strides.end(), {0, x_strides[d]});
    }
    cpu::strided_copy(x.raw(), ctx.out(0).raw(), dtype_size(x.dtype()), shape, strides, 0, &ctx.pool);
  }
  std::vector<int> shape_value_inputs() const override { return {1}; }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    if (y.numel() == 0) return;
    cuda::launch_tile(dtype_size(x.dtype()), x.raw(), x.shape(), y.raw(), y.shape(), stream_of(ctx));
  }
#endif

 private:
  static std::vector<int64_t> repeats(const Tensor& x, const Tensor& r) {
    std::vector<int64_t> reps = read_int_values(r, "Tile input 'repeats'");
    if (reps.size() != x.rank())
      fail("Tile repeats has " + std::to_string(reps.size()) + " entries, the input " + shape_to_string(x.shape()) + " has rank " +
           std::to_string(x.rank()));
    for (int64_t v : reps)
      if (v < 0) fail("Tile repeats must not be negative, got " + std::to_string(v));
    return reps;
  }
};

}  // namespace

LRE_CPU_KERNEL(Expand, ExpandKernel);
LRE_CPU_KERNEL(Tile, TileKernel);

}  // namespace lre
