// Gemm: Y = alpha * op(A) * op(B) + beta * C, with C broadcast to (M, N) and optional (opset 11+).
// Float32 fills Y with the broadcast C and lets the SGEMM fold beta in; other types use a loop.
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/matmul.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#if LRE_WITH_CUDA
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/gemm.h"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

class GemmKernel final : public Kernel {
 public:
  explicit GemmKernel(const KernelInit& init)
      : trans_a_(init.node.attrs.get_int("transA", 0) != 0),
        trans_b_(init.node.attrs.get_int("transB", 0) != 0),
        alpha_(init.node.attrs.get_float("alpha", 1.f)),
        beta_(init.node.attrs.get_float("beta", 1.f)) {}

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("Gemm needs inputs A and B");
    const Tensor& a = *in[0];
    const Tensor& b = *in[1];
    if (a.rank() != 2 || b.rank() != 2)
      fail("Gemm needs 2-D A and B, got shapes " + shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()));
    if (a.dtype() != b.dtype() || (in.size() > 2 && in[2] && in[2]->dtype() != a.dtype()))
      fail("Gemm: A, B and C must share one dtype");
    int64_t m = trans_a_ ? a.dim(1) : a.dim(0), k = trans_a_ ? a.dim(0) : a.dim(1);
    int64_t kb = trans_b_ ? b.dim(1) : b.dim(0), n = trans_b_ ? b.dim(0) : b.dim(1);
    if (k != kb)
      fail("Gemm: op(A) " + shape_to_string(a.shape()) + " has K = " + std::to_string(k) + " but op(B) " +
           shape_to_string(b.shape()) + " has K = " + std::to_string(kb) + " (transA=" + std::to_string(trans_a_) +
           ", transB=" + std::to_string(trans_b_) + ")");
    if (in.size() > 2 && in[2]) {
      const Shape& c = in[2]->shape();
      if (c.size() > 2 || broadcast_shapes(c, {m, n}) != Shape{m, n})
        fail("Gemm: C of shape " + shape_to_string(c) + " does not broadcast to (M, N) = " + shape_to_string({m, n}));
    }
    if (a.dtype() == DType::Bool) throw_unsupported_dtype(DType::Bool, "Gemm");
    return {{a.dtype(), {m, n}}};
  }

#if LRE_WITH_CUDA
  // C is added after the product, so beta other than 0 or 1 stays on the CPU.
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    const bool has_c = in.size() > 2 && in[2].present;
    return cuda_float(in[0].dtype) && in[1].dtype == in[0].dtype && (!has_c || beta_ == 0.f || beta_ == 1.f);
  }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& a = ctx.in(0);
    const Tensor& b = ctx.in(1);
    Tensor& y = ctx.out(0);
    const int64_t m = y.dim(0), n = y.dim(1), k = trans_a_ ? a.dim(0) : a.dim(1);
    if (y.numel() == 0) return;
    cuda::gemm(ctx.cuda->cublas(), a.dtype(), m, n, k, alpha_, {a.raw(), a.dim(1), 0, trans_a_},
               {b.raw(), b.dim(1), 0, trans_b_}, 0.f, y.raw(), n, 0, 1);
    if (ctx.has_input(2) && beta_ != 0.f)
      cuda::launch_binary(cuda::BinaryOp::Add, y.dtype(), y.raw(), y.shape(), ctx.in(2).raw(), ctx.in(2).shape(), y.raw(),
                          y.shape(), stream_of(ctx));
  }
#endif

  void compute(KernelContext& ctx) const override {
    const Tensor& a = ctx.in(0);
    const Tensor& b = ctx.in(1);
    const Tensor* c = ctx.has_input(2) ? &ctx.in(2) : nullptr;
    Tensor& y = ctx.out(0);
    int64_t m = y.dim(0), n = y.dim(1), k = trans_a_ ? a.dim(0) : a.dim(1);
    if (y.numel() == 0) return;
    // Strides that read C as if it were (M, N): 0 along a broadcast dimension.
    int64_t c_row = 0, c_col = 0;
    if (c) {
      std::vector<int64_t> st = broadcast_strides(c->shape(), {m, n});
      c_row = st[0];
      c_col = st[1];
    }
    dispatch_numeric(a.dtype(), "Gemm", [&]<typename T>() {
      using C = compute_t<T>;
      if constexpr (std::is_same_v<T, bool>) {
        throw_unsupported_dtype(DType::Bool, "Gemm");
      } else if constexpr (std::is_same_v<C, float>) {
        const float *af = nullptr, *bf = nullptr;
        std::vector<float> a_buf, b_buf;
        float* yf = nullptr;
        std::vector<float> y_buf;
        if constexpr (std::is_same_v<T, float>) {
          af = a.data<float>();
          bf = b.data<float>();
          yf = y.data<float>();
        } else {
          a_buf.assign(a.data<T>(), a.data<T>() + a.numel());
          b_buf.assign(b.data<T>(), b.data<T>() + b.numel());
          y_buf.resize(static_cast<size_t>(y.numel()));
          af = a_buf.data();
          bf = b_buf.data();
          yf = y_buf.data();
        }
        bool bias = c && beta_ != 0.f;
        if (bias) {
          const T* cp = c->data<T>();
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) yf[i * n + j] = static_cast<float>(cp[i * c_row + j * c_col]);
        }
        cpu::gemm_f32(trans_a_, trans_b_, m, n, k, alpha_, af, a.dim(1), bf, b.dim(1), bias ? beta_ : 0.f, yf, n,
                      &ctx.pool);
        if constexpr (!std::is_same_v<T, float>)
          for (int64_t i = 0; i < y.numel(); ++i) y.data<T>()[i] = T(yf[i]);
      } else {
        using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
        cpu::gemm_loop<T, Acc>(trans_a_, trans_b_, m, n, k, static_cast<Acc>(alpha_), a.data<T>(), b.data<T>(),
                               static_cast<Acc>(beta_), c ? c->data<T>() : nullptr, c_row, c_col, y.data<T>());
      }
    });
  }

 private:
  bool trans_a_, trans_b_;
  float alpha_, beta_;
};

}  // namespace

LRE_CPU_KERNEL(Gemm, GemmKernel);

}  // namespace lre
