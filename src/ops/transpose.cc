// Transpose, and DepthToSpace / SpaceToDepth, which are transposes of a 6-D view of an NCHW tensor
// (the spec defines them as reshape + transpose + reshape); all run on the strided-copy kernel.
#include "kernels/cpu/strided_copy.h"
#include "ops/kernel.h"
#include "ops/movement_util.h"

#if LRE_WITH_CUDA
#include "kernels/cuda/transpose.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

class TransposeKernel final : public Kernel {
 public:
  explicit TransposeKernel(const KernelInit& init) : perm_(init.node.attrs.get_ints("perm")) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, "Transpose input");
    std::vector<int64_t> perm = perm_for(x.rank());
    Shape out(perm.size());
    for (size_t d = 0; d < perm.size(); ++d) out[d] = x.dim(static_cast<size_t>(perm[d]));
    return {{x.dtype(), out}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    cpu::transpose(x.raw(), ctx.out(0).raw(), dtype_size(x.dtype()), x.shape(), perm_for(x.rank()), &ctx.pool);
  }
#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc>) const override { return true; }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    if (x.numel() == 0) return;
    cuda::launch_transpose(dtype_size(x.dtype()), x.raw(), x.shape(), perm_for(x.rank()), ctx.out(0).raw(), stream_of(ctx));
  }
#endif

 private:
  // The attribute, or the reversed axes when it is absent.
  std::vector<int64_t> perm_for(size_t rank) const {
    std::vector<int64_t> perm = perm_;
    if (perm.empty())
      for (size_t d = rank; d-- > 0;) perm.push_back(static_cast<int64_t>(d));
    if (perm.size() != rank)
      fail("Transpose perm has " + std::to_string(perm.size()) + " entries, the input has rank " + std::to_string(rank));
    std::vector<bool> seen(rank, false);
    for (int64_t p : perm) {
      if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)])
        fail("Transpose perm must be a permutation of 0.." + std::to_string(rank - 1) + ", got entry " + std::to_string(p));
      seen[static_cast<size_t>(p)] = true;
    }
    return perm;
  }
  std::vector<int64_t> perm_;
};

// The 6-D view (shape and a permutation of it) that turns an NCHW input into the output.
struct BlockView {
  Shape shape;
  std::vector<int64_t> perm;
  Shape out;
};

class DepthSpaceKernel final : public Kernel {
 public:
  DepthSpaceKernel(const KernelInit& init, bool to_space)
      : to_space_(to_space), block_(init.node.attrs.get_int("blocksize")), crd_(false) {
    if (block_ <= 0) fail(std::string(name()) + " blocksize must be positive, got " + std::to_string(block_));
    if (to_space) {
      std::string mode = init.node.attrs.get_string("mode", "DCR");
      if (mode != "DCR" && mode != "CRD") fail("DepthToSpace mode must be DCR or CRD, got '" + mode + "'");
      crd_ = mode == "CRD";
    }
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    const Tensor& x = required_input(in, 0, std::string(name()) + " input");
    return {{x.dtype(), view(x.shape()).out}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    BlockView v = view(x.shape());
    cpu::transpose(x.raw(), ctx.out(0).raw(), dtype_size(x.dtype()), v.shape, v.perm, &ctx.pool);
  }

 private:
  const char* name() const { return to_space_ ? "DepthToSpace" : "SpaceToDepth"; }
  BlockView view(const Shape& s) const {
    if (s.size() != 4) fail(std::string(name()) + " needs a 4-D (N, C, H, W) input, got " + shape_to_string(s));
    const int64_t n = s[0], c = s[1], h = s[2], w = s[3], b = block_;
    if (to_space_) {
      if (c % (b * b) != 0)
        fail("DepthToSpace channels " + std::to_string(c) + " are not divisible by blocksize^2 = " + std::to_string(b * b));
      const int64_t oc = c / (b * b);
      Shape out{n, oc, h * b, w * b};
      if (crd_) return {{n, oc, b, b, h, w}, {0, 1, 4, 2, 5, 3}, out};
      return {{n, b, b, oc, h, w}, {0, 3, 4, 1, 5, 2}, out};
    }
    if (h % b != 0 || w % b != 0)
      fail("SpaceToDepth height and width of " + shape_to_string(s) + " are not divisible by blocksize " + std::to_string(b));
    return {{n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4}, {n, c * b * b, h / b, w / b}};
  }
  bool to_space_;
  int64_t block_;
  bool crd_;
};

}  // namespace

LRE_CPU_KERNEL(Transpose, TransposeKernel);
static const KernelRegistrar depth_to_space_registrar("", "DepthToSpace", Device::Kind::Cpu, [](const KernelInit& init) -> std::unique_ptr<Kernel> {
  return std::make_unique<DepthSpaceKernel>(init, true);
});
static const KernelRegistrar space_to_depth_registrar("", "SpaceToDepth", Device::Kind::Cpu, [](const KernelInit& init) -> std::unique_ptr<Kernel> {
  return std::make_unique<DepthSpaceKernel>(init, false);
});

}  // namespace lre
