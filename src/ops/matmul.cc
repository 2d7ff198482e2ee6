// MatMul and MatMulInteger: numpy matmul semantics (1-D operands promoted and the added dimension
// dropped again, batch dimensions broadcast). Float32 runs on the blocked SGEMM; the half types
// go through float32; other types use exact loops.
#include <algorithm>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/matmul.h"
#include "ops/kernel.h"
#include "ops/op_util.h"
#if LRE_WITH_CUDA
#include "kernels/cuda/gemm.h"
#include "ops/cuda_op_util.h"
#endif

namespace lre {

namespace {

// How two operands pair up: per output batch element, where each operand's matrix starts.
struct MatMulPlan {
  int64_t m = 0, n = 0, k = 0;
  Shape out_shape;
  std::vector<int64_t> a_offsets, b_offsets;  // in elements, one per batch element
};

MatMulPlan plan_matmul(const Shape& a_shape, const Shape& b_shape, const char* op) {
  if (a_shape.empty() || b_shape.empty())
    fail(std::string(op) + " needs operands of rank >= 1, got shapes " + shape_to_string(a_shape) + " and " +
         shape_to_string(b_shape));
  Shape a = a_shape, b = b_shape;
  bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  MatMulPlan p;
  p.m = a[a.size() - 2];
  p.k = a.back();
  p.n = b.back();
  if (b[b.size() - 2] != p.k)
    fail(std::string(op) + ": inner dimensions differ: A " + shape_to_string(a_shape) + " has " + std::to_string(p.k) +
         ", B " + shape_to_string(b_shape) + " has " + std::to_string(b[b.size() - 2]));
  Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  Shape batch = broadcast_shapes(a_batch, b_batch);
  p.out_shape = batch;
  if (!a_vec) p.out_shape.push_back(p.m);
  if (!b_vec) p.out_shape.push_back(p.n);

  int64_t count = shape_numel(batch);
  std::vector<int64_t> as = broadcast_strides(a_batch, batch), bs = broadcast_strides(b_batch, batch);
  p.a_offsets.resize(static_cast<size_t>(count));
  p.b_offsets.resize(static_cast<size_t>(count));
  std::vector<int64_t> idx(batch.size(), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t ao = 0, bo = 0;
    for (size_t d = 0; d < batch.size(); ++d) {
      ao += idx[d] * as[d];
      bo += idx[d] * bs[d];
    }
    p.a_offsets[i] = ao * p.m * p.k;
    p.b_offsets[i] = bo * p.k * p.n;
    for (size_t d = batch.size(); d-- > 0;) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return p;
}

template <typename T>
std::vector<float> to_float(const T* p, int64_t count) {
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(p[i]);
  return out;
}

#if LRE_WITH_CUDA
// The step between consecutive offsets when they form one (every batch matrix `step` apart),
// else -1.
int64_t uniform_step(const std::vector<int64_t>& offsets) {
  const int64_t step = offsets.size() > 1 ? offsets[1] - offsets[0] : 0;
  for (size_t i = 0; i < offsets.size(); ++i)
    if (offsets[i] != static_cast<int64_t>(i) * step) return -1;
  return step;
}
#endif

class MatMulKernel final : public Kernel {
 public:
  explicit MatMulKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("MatMul needs inputs A and B");
    if (in[0]->dtype() != in[1]->dtype())
      fail("MatMul: A is " + std::string(dtype_name(in[0]->dtype())) + " but B is " + dtype_name(in[1]->dtype()));
    if (in[0]->dtype() == DType::Bool) throw_unsupported_dtype(DType::Bool, "MatMul");
    return {{in[0]->dtype(), plan_matmul(in[0]->shape(), in[1]->shape(), "MatMul").out_shape}};
  }

#if LRE_WITH_CUDA
  bool cuda_supports(std::span<const TensorDesc> in) const override {
    return cuda_float(in[0].dtype) && in[1].dtype == in[0].dtype;
  }
  void compute_cuda(KernelContext& ctx) const override {
    const Tensor& a = ctx.in(0);
    const Tensor& b = ctx.in(1);
    Tensor& y = ctx.out(0);
    if (y.numel() == 0) return;
    const MatMulPlan p = plan_matmul(a.shape(), b.shape(), "MatMul");
    const int64_t batch = static_cast<int64_t>(p.a_offsets.size());
    const int64_t sa = uniform_step(p.a_offsets), sb = uniform_step(p.b_offsets);
    cublasHandle_t h = ctx.cuda->cublas();
    if (sb == 0 && sa == p.m * p.k) {
      // A stack of A matrices times one B: a single (batch * m, k) x (k, n) product.
      cuda::gemm(h, a.dtype(), batch * p.m, p.n, p.k, 1.f, {a.raw(), p.k, 0}, {b.raw(), p.n, 0}, 0.f, y.raw(), p.n, 0, 1);
    } else if (sa >= 0 && sb >= 0) {
      cuda::gemm(h, a.dtype(), p.m, p.n, p.k, 1.f, {a.raw(), p.k, sa}, {b.raw(), p.n, sb}, 0.f, y.raw(), p.n, p.m * p.n,
                 batch);
    } else {
      // Broadcast patterns no single stride describes: one product per batch element.
      const size_t es = dtype_size(a.dtype());
      for (int64_t i = 0; i < batch; ++i)
        cuda::gemm(h, a.dtype(), p.m, p.n, p.k, 1.f, {static_cast<const char*>(a.raw()) + p.a_offsets[i] * es, p.k, 0},
                   {static_cast<const char*>(b.raw()) + p.b_offsets[i] * es, p.n, 0}, 0.f,
                   static_cast<char*>(y.raw()) + i * p.m * p.n * es, p.n, 0, 1);
    }
  }
#endif

  void compute(KernelContext& ctx) const override {
    const Tensor& a = ctx.in(0);
    const Tensor& b = ctx.in(1);
    Tensor& y = ctx.out(0);
    MatMulPlan p = plan_matmul(a.shape(), b.shape(), "MatMul");
    int64_t batch = static_cast<int64_t>(p.a_offsets.size());
    if (y.numel() == 0) return;
    dispatch_numeric(a.dtype(), "MatMul", [&]<typename T>() {
      if constexpr (std::is_same_v<T, bool>) {
        throw_unsupported_dtype(DType::Bool, "MatMul");
      } else if constexpr (std::is_same_v<T, float>) {
        run_f32(a.data<float>(), b.data<float>(), y.data<float>(), p, ctx.pool);
      } else if constexpr (std::is_same_v<compute_t<T>, float>) {
        std::vector<float> af = to_float(a.data<T>(), a.numel()), bf = to_float(b.data<T>(), b.numel());
        std::vector<float> yf(static_cast<size_t>(y.numel()));
        run_f32(af.data(), bf.data(), yf.data(), p, ctx.pool);
        for (int64_t i = 0; i < y.numel(); ++i) y.data<T>()[i] = T(yf[i]);
      } else {
        using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
        ctx.pool.parallel_for(batch, 1, [&](int64_t b0, int64_t b1) {
          for (int64_t i = b0; i < b1; ++i)
            cpu::matmul_loop<T, Acc>(a.data<T>() + p.a_offsets[i], b.data<T>() + p.b_offsets[i],
                                     y.data<T>() + i * p.m * p.n, p.m, p.n, p.k);
        });
      }
    });
  }

 private:
  static void run_f32(const float* a, const float* b, float* y, const MatMulPlan& p, ThreadPool& pool) {
    int64_t batch = static_cast<int64_t>(p.a_offsets.size());
    // A stack of A matrices times one shared B is a single tall product.
    bool shared_b = std::all_of(p.b_offsets.begin(), p.b_offsets.end(), [](int64_t o) { return o == 0; });
    bool a_in_order = true;
    for (int64_t i = 0; i < batch && a_in_order; ++i) a_in_order = p.a_offsets[i] == i * p.m * p.k;
    if (batch > 1 && shared_b && a_in_order) {
      int64_t zero = 0;
      cpu::batched_matmul_f32(a, &zero, b, &zero, y, 1, batch * p.m, p.n, p.k, &pool);
      return;
    }
    cpu::batched_matmul_f32(a, p.a_offsets.data(), b, p.b_offsets.data(), y, batch, p.m, p.n, p.k, &pool);
  }
};

// Zero points: a scalar, or one per row of A (M values) / per column of B (N values).
std::vector<int32_t> read_zero_points(const Tensor* zp, int64_t count, DType want, const char* what) {
  std::vector<int32_t> out(static_cast<size_t>(count), 0);
  if (!zp) return out;
  if (zp->dtype() != want)
    fail(std::string("MatMulInteger: ") + what + " must match its operand's dtype " + dtype_name(want) + ", got " +
         dtype_name(zp->dtype()));
  if (zp->numel() != 1 && zp->numel() != count)
    fail(std::string("MatMulInteger: ") + what + " must hold 1 or " + std::to_string(count) + " values, got shape " +
         shape_to_string(zp->shape()));
  for (int64_t i = 0; i < count; ++i) {
    int64_t j = zp->numel() == 1 ? 0 : i;
    out[i] = want == DType::UInt8 ? zp->data<uint8_t>()[j] : zp->data<int8_t>()[j];
  }
  return out;
}

class MatMulIntegerKernel final : public Kernel {
 public:
  explicit MatMulIntegerKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.size() < 2 || !in[0] || !in[1]) fail("MatMulInteger needs inputs A and B");
    for (int i = 0; i < 2; ++i)
      if (in[i]->dtype() != DType::UInt8 && in[i]->dtype() != DType::Int8)
        fail(std::string("MatMulInteger: ") + (i ? "B" : "A") + " must be uint8 or int8, got " + dtype_name(in[i]->dtype()));
    return {{DType::Int32, plan_matmul(in[0]->shape(), in[1]->shape(), "MatMulInteger").out_shape}};
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& a = ctx.in(0);
    const Tensor& b = ctx.in(1);
    MatMulPlan p = plan_matmul(a.shape(), b.shape(), "MatMulInteger");
    std::vector<int32_t> azp = read_zero_points(ctx.has_input(2) ? &ctx.in(2) : nullptr, p.m, a.dtype(), "a_zero_point");
    std::vector<int32_t> bzp = read_zero_points(ctx.has_input(3) ? &ctx.in(3) : nullptr, p.n, b.dtype(), "b_zero_point");
    auto widen = [](const Tensor& t, int64_t i) -> int32_t {
      return t.dtype() == DType::UInt8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i];
    };
    std::vector<int32_t> ai(static_cast<size_t>(a.numel())), bi(static_cast<size_t>(b.numel()));
    for (int64_t i = 0; i < a.numel(); ++i) ai[i] = widen(a, i) - azp[(i / p.k) % p.m];
    for (int64_t i = 0; i < b.numel(); ++i) bi[i] = widen(b, i) - bzp[i % p.n];
    int32_t* y = ctx.out(0).data<int32_t>();
    int64_t batch = static_cast<int64_t>(p.a_offsets.size());
    ctx.pool.parallel_for(batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t i = b0; i < b1; ++i)
        cpu::matmul_loop<int32_t, int32_t>(ai.data() + p.a_offsets[i], bi.data() + p.b_offsets[i], y + i * p.m * p.n,
                                           p.m, p.n, p.k);
    });
  }
};

}  // namespace

LRE_CPU_KERNEL(MatMul, MatMulKernel);
LRE_CPU_KERNEL(MatMulInteger, MatMulIntegerKernel);

}  // namespace lre
