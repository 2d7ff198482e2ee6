// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
// ReduceLogSumExp and ReduceSumSquare. Axes come from the attribute, or for ReduceSum from opset 13
// an optional input (then an empty list reduces everything, or nothing with noop_with_empty_axes).
#include <cstring>

#include "core/dispatch.h"
#include "kernels/cpu/reduce.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#if LRE_WITH_CUDA
#include "kernels/cuda/reduce.cuh"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

constexpr const char* reduce_name(cpu::ReduceOp op) {
  switch (op) {
    case cpu::ReduceOp::Sum: return "ReduceSum";
    case cpu::ReduceOp::Mean: return "ReduceMean";
    case cpu::ReduceOp::Max: return "ReduceMax";
    case cpu::ReduceOp::Min: return "ReduceMin";
    case cpu::ReduceOp::Prod: return "ReduceProd";
    case cpu::ReduceOp::L1: return "ReduceL1";
    case cpu::ReduceOp::L2: return "ReduceL2";
    case cpu::ReduceOp::LogSum: return "ReduceLogSum";
    case cpu::ReduceOp::LogSumExp: return "ReduceLogSumExp";
    case cpu::ReduceOp::SumSquare: return "ReduceSumSquare";
  }
  return "Reduce";
}

template <cpu::ReduceOp kOp>
class ReduceKernel final : public Kernel {
 public:
  explicit ReduceKernel(const KernelInit& init)
      : keepdims_(init.node.attrs.get_int("keepdims", 1) != 0),
        axes_input_(kOp == cpu::ReduceOp::Sum && init.opset >= 13),
        noop_(axes_input_ && init.node.attrs.get_int("noop_with_empty_axes", 0) != 0),
        axes_(init.node.attrs.get_ints("axes")) {
    if (axes_input_ && init.node.attrs.has("axes"))
      fail(std::string(kName) + " from opset 13 takes axes as its second input, not as an attribute");
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty() || !in[0]) fail(std::string(kName) + " needs a data input");
    if (in[0]->dtype() == DType::Bool) throw_unsupported_dtype(DType::Bool, kName);
    return {{in[0]->dtype(), plan(in).out}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    Plan p = plan(ctx.inputs);
    if (p.copy) {
      if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
      return;
    }
    cpu::ReduceLayout layout = cpu::reduce_layout(x.shape(), p.axes);
    dispatch_numeric(x.dtype(), kName, [&]<typename T>() {
      if constexpr (!std::is_same_v<T, bool>) cpu::reduce(kOp, x.data<T>(), y.data<T>(), layout, &ctx.pool);
    });
  }

  std::vector<int> shape_value_inputs() const override { return axes_input_ ? std::vector<int>{1} : std::vector<int>{}; }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override { return cuda_float(in[0].dtype); }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    // The axes input is read on the host, where the runtime keeps shape values.
    const Tensor* host[2] = {&x, ctx.host_in(1)};
    const Plan p = plan(std::span<const Tensor* const>(host, ctx.inputs.size() > 1 ? 2 : 1));
    if (p.copy) return device_copy_input(ctx);
    if (y.numel() == 0) return;
    cuda::launch_reduce(cuda_op(), x.dtype(), x.raw(), x.shape(), p.axes, y.raw(), stream_of(ctx));
  }
#endif

 private:
  static constexpr const char* kName = reduce_name(kOp);
#if LRE_WITH_CUDA
  static constexpr cuda::ReduceOp cuda_op() {
    switch (kOp) {
      case cpu::ReduceOp::Sum: return cuda::ReduceOp::Sum;
      case cpu::ReduceOp::Mean: return cuda::ReduceOp::Mean;
      case cpu::ReduceOp::Max: return cuda::ReduceOp::Max;
      case cpu::ReduceOp::Min: return cuda::ReduceOp::Min;
      case cpu::ReduceOp::Prod: return cuda::ReduceOp::Prod;
      case cpu::ReduceOp::L1: return cuda::ReduceOp::L1;
      case cpu::ReduceOp::L2: return cuda::ReduceOp::L2;
      case cpu::ReduceOp::LogSum: return cuda::ReduceOp::LogSum;
      case cpu::ReduceOp::LogSumExp: return cuda::ReduceOp::LogSumExp;
      case cpu::ReduceOp::SumSquare: return cuda::ReduceOp::SumSquare;
    }
    return cuda::ReduceOp::Sum;
  }
#endif

  struct Plan {
    std::vector<int64_t> axes;  // normalised, distinct
    Shape out;
    bool copy = false;  // noop_with_empty_axes with no axes: the output is the input
  };

  Plan plan(std::span<const Tensor* const> in) const {
    const Shape& s = in[0]->shape();
    const int64_t rank = static_cast<int64_t>(s.size());
    std::vector<int64_t> given = axes_;
    if (axes_input_ && in.size() > 1 && in[1]) given = read_int_values(*in[1], (std::string(kName) + " axes").c_str());
    Plan p;
    if (given.empty() && noop_) {
      p.copy = true;
      p.out = s;
      return p;
    }
    std::vector<bool> reduced(s.size(), given.empty());
    for (int64_t a : given) {
      int64_t axis = normalize_axis(a, rank, "axes entry");
      if (reduced[static_cast<size_t>(axis)]) fail(std::string(kName) + ": axis " + std::to_string(a) + " is given twice");
      reduced[static_cast<size_t>(axis)] = true;
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (reduced[static_cast<size_t>(d)]) {
        p.axes.push_back(d);
        if (keepdims_) p.out.push_back(1);
      } else {
        p.out.push_back(s[static_cast<size_t>(d)]);
      }
    }
    return p;
  }

  bool keepdims_;
  bool axes_input_;  // ReduceSum opset 13+
  bool noop_;
  std::vector<int64_t> axes_;
};

using ReduceSumOp = ReduceKernel<cpu::ReduceOp::Sum>;
using ReduceMeanOp = ReduceKernel<cpu::ReduceOp::Mean>;
using ReduceMaxOp = ReduceKernel<cpu::ReduceOp::Max>;
using ReduceMinOp = ReduceKernel<cpu::ReduceOp::Min>;
using ReduceProdOp = ReduceKernel<cpu::ReduceOp::Prod>;
using ReduceL1Op = ReduceKernel<cpu::ReduceOp::L1>;
using ReduceL2Op = ReduceKernel<cpu::ReduceOp::L2>;
using ReduceLogSumOp = ReduceKernel<cpu::ReduceOp::LogSum>;
using ReduceLogSumExpOp = ReduceKernel<cpu::ReduceOp::LogSumExp>;
using ReduceSumSquareOp = ReduceKernel<cpu::ReduceOp::SumSquare>;

}  // namespace

LRE_CPU_KERNEL(ReduceSum, ReduceSumOp);
LRE_CPU_KERNEL(ReduceMean, ReduceMeanOp);
LRE_CPU_KERNEL(ReduceMax, ReduceMaxOp);
LRE_CPU_KERNEL(ReduceMin, ReduceMinOp);
LRE_CPU_KERNEL(ReduceProd, ReduceProdOp);
LRE_CPU_KERNEL(ReduceL1, ReduceL1Op);
LRE_CPU_KERNEL(ReduceL2, ReduceL2Op);
LRE_CPU_KERNEL(ReduceLogSum, ReduceLogSumOp);
LRE_CPU_KERNEL(ReduceLogSumExp, ReduceLogSumExpOp);
LRE_CPU_KERNEL(ReduceSumSquare, ReduceSumSquareOp);

}  // namespace lre
