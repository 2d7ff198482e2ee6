// QLinearMatMul and QLinearConv: 8-bit operands with zero points, int32 accumulation and
// requantisation to the output's scale and zero point. (MatMulInteger lives with MatMul,
// ConvInteger with Conv.) Scales and zero points are per tensor, or per row of a / per column of
// b (QLinearMatMul) and per output channel of w (QLinearConv).
#include <algorithm>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/qlinear.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

const Tensor* input(std::span<const Tensor* const> in, size_t i) { return i < in.size() ? in[i] : nullptr; }

void check_int8(const std::string& op, const Tensor* t, const char* what) {
  if (!t) fail(op + " needs input " + what);
  if (t->dtype() != DType::UInt8 && t->dtype() != DType::Int8)
    fail(op + ": " + what + " must be uint8 or int8, got " + dtype_name(t->dtype()));
}

// A zero point (or nullptr: 0) as `count` int32 values; it may hold 1 or `count` values.
std::vector<int32_t> zero_points(const std::string& op, const Tensor* zp, const Tensor& operand, int64_t count,
                                 const char* what) {
  std::vector<int32_t> out(static_cast<size_t>(count), 0);
  if (!zp) return out;
  if (zp->dtype() != operand.dtype())
    fail(op + ": " + what + " must have its operand's dtype " + dtype_name(operand.dtype()) + ", got " +
         dtype_name(zp->dtype()));
  if (zp->rank() > 1 || (zp->numel() != 1 && zp->numel() != count))
    fail(op + ": " + what + " must be a scalar or hold " + std::to_string(count) + " values, got shape " +
         shape_to_string(zp->shape()));
  for (int64_t i = 0; i < count; ++i) {
    int64_t src = zp->numel() == 1 ? 0 : i;
    out[static_cast<size_t>(i)] = zp->dtype() == DType::UInt8 ? zp->data<uint8_t>()[src] : zp->data<int8_t>()[src];
  }
  return out;
}

// A float32 scale as `count` values; it may hold 1 or `count` values (count 1: per tensor only).
std::vector<float> scales(const std::string& op, const Tensor* s, int64_t count, const char* what) {
  if (!s) fail(op + " needs input " + what);
  if (s->dtype() != DType::Float32) fail(op + ": " + what + " must be float32, got " + dtype_name(s->dtype()));
  if (s->rank() > 1 || (s->numel() != 1 && s->numel() != count))
    fail(op + ": " + what + " must be a scalar" + (count > 1 ? " or hold " + std::to_string(count) + " values" : "") +
         ", got shape " + shape_to_string(s->shape()));
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out[static_cast<size_t>(i)] = s->data<float>()[s->numel() == 1 ? 0 : i];
  return out;
}

bool per_element(const Tensor* t) { return t && t->numel() > 1; }

// ---- QLinearMatMul ----

struct MatMulPlan {
  int64_t m = 1, n = 1, k = 1;
  Shape batch, out_shape;
  std::vector<int64_t> a_batch_strides, b_batch_strides;  // in matrices, 0 where broadcast
};

MatMulPlan plan_matmul(const Shape& a_in, const Shape& b_in) {
  if (a_in.empty() || b_in.empty())
    fail("QLinearMatMul: operands must have rank >= 1, got " + shape_to_string(a_in) + " and " + shape_to_string(b_in));
  Shape a = a_in.size() == 1 ? Shape{1, a_in[0]} : a_in;
  Shape b = b_in.size() == 1 ? Shape{b_in[0], 1} : b_in;
  MatMulPlan p;
  p.m = a[a.size() - 2];
  p.k = a.back();
  p.n = b.back();
  if (b[b.size() - 2] != p.k)
    fail("QLinearMatMul: inner dimensions differ: a " + shape_to_string(a_in) + ", b " + shape_to_string(b_in));
  Shape ab(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  p.batch = broadcast_shapes(ab, bb);
  p.a_batch_strides = broadcast_strides(ab, p.batch);
  p.b_batch_strides = broadcast_strides(bb, p.batch);
  p.out_shape = p.batch;
  if (a_in.size() > 1) p.out_shape.push_back(p.m);
  if (b_in.size() > 1) p.out_shape.push_back(p.n);
  return p;
}

class QLinearMatMulKernel final : public Kernel {
 public:
  explicit QLinearMatMulKernel(const KernelInit&) {}
  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    check_int8(op_, input(in, 0), "a");
    check_int8(op_, input(in, 3), "b");
    MatMulPlan p = plan_matmul(in[0]->shape(), in[3]->shape());
    check_quant_params(in, p);
    return {{output_dtype(in), p.out_shape}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& a = ctx.in(0);
    const Tensor& b = ctx.in(3);
    MatMulPlan p = plan_matmul(a.shape(), b.shape());
    auto [a_zp, b_zp, row_scale, col_scale, y_zp] = check_quant_params(ctx.inputs, p);
    // Centre every matrix once; the zero points do not vary across the batch.
    std::vector<int16_t> ac(static_cast<size_t>(a.numel())), bc(static_cast<size_t>(b.numel()));
    std::vector<int32_t> a_row_zp(static_cast<size_t>(p.k ? a.numel() / p.k : 0));  // per row of every matrix
    for (size_t r = 0; r < a_row_zp.size(); ++r) a_row_zp[r] = a_zp[r % static_cast<size_t>(p.m)];
    dispatch_int8(a.dtype(),
                  [&]<typename A>() { cpu::center_int8(a.data<A>(), a.numel(), a_row_zp.data(), p.k, ac.data()); });
    dispatch_int8(b.dtype(), [&]<typename B>() {
      cpu::center_int8_columns(b.data<B>(), b.numel() / std::max<int64_t>(p.n, 1), p.n, b_zp.data(), bc.data());
    });
    const int64_t batches = shape_numel(p.batch), mk = p.m * p.k, kn = p.k * p.n, mn = p.m * p.n;
    std::vector<int32_t> acc(static_cast<size_t>(batches * mn));
    Tensor& y = ctx.out(0);
    auto run = [&](int64_t begin, int64_t end, ThreadPool* inner) {
      std::vector<int64_t> idx(p.batch.size(), 0);
      for (int64_t bi = begin; bi < end; ++bi) {
        int64_t rem = bi, a_off = 0, b_off = 0;
        for (size_t d = p.batch.size(); d-- > 0;) {
          int64_t i = rem % p.batch[d];
          rem /= p.batch[d];
          a_off += i * p.a_batch_strides[d];
          b_off += i * p.b_batch_strides[d];
        }
        int32_t* c = acc.data() + bi * mn;
        cpu::gemm_s16(p.m, p.n, p.k, ac.data() + a_off * mk, bc.data() + b_off * kn, c, inner);
        dispatch_int8(y.dtype(), [&]<typename Q>() {
          cpu::requantize<Q>(c, 1, p.m, p.n, nullptr, row_scale.data(), col_scale.empty() ? nullptr : col_scale.data(),
                             static_cast<float>(y_zp), y.data<Q>() + bi * mn, inner);
        });
      }
    };
    // Small matrices in a big batch: threads take whole matrices.
    if (batches > 1 && mn * p.k < (1 << 16))
      ctx.pool.parallel_for(batches, 1, [&](int64_t s, int64_t e) { run(s, e, nullptr); });
    else
      run(0, batches, &ctx.pool);
  }

 private:
  template <typename F>
  static void dispatch_int8(DType t, F&& f) {
    if (t == DType::UInt8)
      f.template operator()<uint8_t>();
    else
      f.template operator()<int8_t>();
  }
  static DType output_dtype(std::span<const Tensor* const> in) {
    const Tensor* y_zp = input(in, 7);
    return y_zp ? y_zp->dtype() : DType::UInt8;
  }

  struct QuantParams {
    std::vector<int32_t> a_zp, b_zp;
    std::vector<float> row_scale, col_scale;  // col_scale empty for a per-tensor b scale
    int32_t y_zp;
  };
  QuantParams check_quant_params(std::span<const Tensor* const> in, const MatMulPlan& p) const {
    QuantParams q;
    q.a_zp = zero_points(op_, input(in, 2), *in[0], p.m, "a_zero_point");
    q.b_zp = zero_points(op_, input(in, 5), *in[3], p.n, "b_zero_point");
    std::vector<float> a_s = scales(op_, input(in, 1), p.m, "a_scale");
    std::vector<float> b_s = scales(op_, input(in, 4), p.n, "b_scale");
    float y_s = scales(op_, input(in, 6), 1, "y_scale")[0];
    const Tensor* y_zp = input(in, 7);
    if (y_zp && y_zp->dtype() != DType::UInt8 && y_zp->dtype() != DType::Int8)
      fail(op_ + ": y_zero_point must be uint8 or int8, got " + dtype_name(y_zp->dtype()));
    if (y_zp && y_zp->numel() != 1)
      fail(op_ + ": y_zero_point must hold one value, got shape " + shape_to_string(y_zp->shape()));
    q.y_zp = zero_points(op_, y_zp, y_zp ? *y_zp : *in[0], 1, "y_zero_point")[0];
    q.row_scale.resize(static_cast<size_t>(p.m));
    const bool b_per_column = per_element(input(in, 4));
    for (int64_t i = 0; i < p.m; ++i) q.row_scale[i] = b_per_column ? a_s[i] / y_s : a_s[i] * b_s[0] / y_s;
    if (b_per_column) q.col_scale = b_s;
    return q;
  }
  std::string op_ = "QLinearMatMul";
};

// ---- Convolutions ----

class QLinearConvKernel final : public Kernel {
 public:
  explicit QLinearConvKernel(const KernelInit& init) {
    const Attributes& a = init.node.attrs;
    auto_pad_ = a.get_string("auto_pad", "NOTSET");
    if (auto_pad_ != "NOTSET" && auto_pad_ != "SAME_UPPER" && auto_pad_ != "SAME_LOWER" && auto_pad_ != "VALID")
      fail(op_ + ": auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '" + auto_pad_ + "'");
    dilations_ = a.get_ints("dilations");
    kernel_shape_ = a.get_ints("kernel_shape");
    pads_ = a.get_ints("pads");
    strides_ = a.get_ints("strides");
    group_ = a.get_int("group", 1);
    if (group_ < 1) fail(op_ + ": group must be >= 1, got " + std::to_string(group_));
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    check_int8(op_, input(in, 0), "x");
    check_int8(op_, input(in, 3), "w");
    cpu::ConvGeometry g = geometry(*in[0], *in[3]);
    Params p = params(in, g);
    return {{p.y_dtype, out_shape(g)}};
  }
  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.in(0);
    const Tensor& w = ctx.in(3);
    cpu::ConvGeometry g = geometry(x, w);
    Params p = params(ctx.inputs, g);
    Tensor& y = ctx.out(0);
    std::vector<int32_t> acc(static_cast<size_t>(y.numel()));
    accumulate(g, x, p.x_zp, w, p.w_zp, acc.data(), ctx.pool);
    const int32_t* bias = ctx.has_input(8) ? ctx.in(8).data<int32_t>() : nullptr;
    const int64_t plane = shape_numel(g.out_size);
    if (y.dtype() == DType::UInt8)
      cpu::requantize(acc.data(), g.batch, g.out_channels, plane, bias, p.multiplier.data(), nullptr,
                      static_cast<float>(p.y_zp), y.data<uint8_t>(), &ctx.pool);
    else
      cpu::requantize(acc.data(), g.batch, g.out_channels, plane, bias, p.multiplier.data(), nullptr,
                      static_cast<float>(p.y_zp), y.data<int8_t>(), &ctx.pool);
  }

 private:
  // Checks x (N, C, spatial...) and w (M, C / group, kernel...) against the attributes.
  cpu::ConvGeometry geometry(const Tensor& x, const Tensor& w) const {
    if (x.rank() < 3) fail(op_ + ": x must have rank >= 3 (N, C, spatial...), got shape " + shape_to_string(x.shape()));
    if (w.rank() != x.rank())
      fail(op_ + ": w must have x's rank " + std::to_string(x.rank()) + ", got shape " + shape_to_string(w.shape()));
    const size_t dims = x.rank() - 2;
    cpu::ConvGeometry g;
    g.batch = x.dim(0);
    g.in_channels = x.dim(1);
    g.out_channels = w.dim(0);
    g.group = group_;
    if (g.in_channels % group_ || g.out_channels % group_ || w.dim(1) * group_ != g.in_channels)
      fail(op_ + ": x " + shape_to_string(x.shape()) + " and w " + shape_to_string(w.shape()) + " do not fit group " +
           std::to_string(group_) + " (need C = w.shape[1] * group and M divisible by group)");
    auto per_dim = [&](const std::vector<int64_t>& v, size_t count, int64_t fallback, const char* what) {
      if (v.empty()) return std::vector<int64_t>(count, fallback);
      if (v.size() != count)
        fail(op_ + ": " + what + " has " + std::to_string(v.size()) + " values, expected " + std::to_string(count));
      return v;
    };
    g.strides = per_dim(strides_, dims, 1, "strides");
    g.dilations = per_dim(dilations_, dims, 1, "dilations");
    std::vector<int64_t> pads = per_dim(pads_, 2 * dims, 0, "pads");
    for (size_t d = 0; d < dims; ++d) {
      if (!kernel_shape_.empty() && (kernel_shape_.size() != dims || kernel_shape_[d] != w.dim(d + 2)))
        fail(op_ + ": kernel_shape does not match w's shape " + shape_to_string(w.shape()));
      if (g.strides[d] < 1 || g.dilations[d] < 1 || pads[d] < 0 || pads[d + dims] < 0)
        fail(op_ + ": strides and dilations must be >= 1 and pads >= 0");
      const int64_t in = x.dim(d + 2), k = w.dim(d + 2), span = g.dilations[d] * (k - 1) + 1;
      int64_t begin = pads[d], end = pads[d + dims];
      if (auto_pad_ == "VALID") {
        begin = end = 0;
      } else if (auto_pad_ != "NOTSET") {
        const int64_t out = (in + g.strides[d] - 1) / g.strides[d];
        const int64_t total = std::max<int64_t>(0, (out - 1) * g.strides[d] + span - in);
        begin = auto_pad_ == "SAME_UPPER" ? total / 2 : total - total / 2;
        end = total - begin;
      }
      const int64_t out = in + begin + end < span ? 0 : (in + begin + end - span) / g.strides[d] + 1;
      if (out < 1)
        fail(op_ + ": kernel " + shape_to_string(w.shape()) + " does not fit input " + shape_to_string(x.shape()) +
             " with its padding");
      g.in_size.push_back(in);
      g.kernel.push_back(k);
      g.out_size.push_back(out);
      g.pads_begin.push_back(begin);
    }
    return g;
  }
  static Shape out_shape(const cpu::ConvGeometry& g) {
    Shape s = {g.batch, g.out_channels};
    s.insert(s.end(), g.out_size.begin(), g.out_size.end());
    return s;
  }
  // Accumulates into acc (batch, M, out positions).
  static void accumulate(const cpu::ConvGeometry& g, const Tensor& x, int32_t x_zp, const Tensor& w,
                         const std::vector<int32_t>& w_zp, int32_t* acc, ThreadPool& pool) {
    std::vector<int16_t> wc(static_cast<size_t>(w.numel()));
    const int64_t per_channel = w.numel() / std::max<int64_t>(g.out_channels, 1);
    if (w.dtype() == DType::UInt8)
      cpu::center_int8(w.data<uint8_t>(), w.numel(), w_zp.data(), per_channel, wc.data());
    else
      cpu::center_int8(w.data<int8_t>(), w.numel(), w_zp.data(), per_channel, wc.data());
    if (x.dtype() == DType::UInt8)
      cpu::conv_integer(g, x.data<uint8_t>(), x_zp, wc.data(), acc, &pool);
    else
      cpu::conv_integer(g, x.data<int8_t>(), x_zp, wc.data(), acc, &pool);
  }

  struct Params {
    int32_t x_zp = 0, y_zp = 0;
    std::vector<int32_t> w_zp;
    std::vector<float> multiplier;  // per output channel: x_scale * w_scale / y_scale
    DType y_dtype = DType::UInt8;
  };
  Params params(std::span<const Tensor* const> in, const cpu::ConvGeometry& g) const {
    Params p;
    const int64_t m = g.out_channels;
    p.x_zp = zero_points(op_, input(in, 2), *in[0], 1, "x_zero_point")[0];
    p.w_zp = zero_points(op_, input(in, 5), *in[3], m, "w_zero_point");
    const Tensor* y_zp = input(in, 7);
    p.y_dtype = y_zp ? y_zp->dtype() : in[0]->dtype();
    if (p.y_dtype != DType::UInt8 && p.y_dtype != DType::Int8)
      fail(op_ + ": y_zero_point must be uint8 or int8, got " + dtype_name(p.y_dtype));
    p.y_zp = y_zp ? zero_points(op_, y_zp, *y_zp, 1, "y_zero_point")[0] : 0;
    float x_s = scales(op_, input(in, 1), 1, "x_scale")[0];
    std::vector<float> w_s = scales(op_, input(in, 4), m, "w_scale");
    float y_s = scales(op_, input(in, 6), 1, "y_scale")[0];
    for (float s : w_s) p.multiplier.push_back(x_s * s / y_s);
    if (const Tensor* b = input(in, 8)) {
      if (b->dtype() != DType::Int32) fail(op_ + ": B must be int32, got " + dtype_name(b->dtype()));
      if (b->shape() != Shape{m})
        fail(op_ + ": B must have shape " + shape_to_string({m}) + ", got " + shape_to_string(b->shape()));
    }
    return p;
  }

  std::string op_ = "QLinearConv";
  std::string auto_pad_;
  std::vector<int64_t> dilations_, kernel_shape_, pads_, strides_;
  int64_t group_ = 1;
};

}  // namespace

LRE_CPU_KERNEL(QLinearMatMul, QLinearMatMulKernel);
LRE_CPU_KERNEL(QLinearConv, QLinearConvKernel);

}  // namespace lre
