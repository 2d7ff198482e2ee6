// RNN, GRU and LSTM (opsets 7 to 17): attributes (directions, activations with their alpha and
// beta, clip, layout), input and output shapes. float16 and bfloat16 run in float32 copies.
#include <algorithm>
#include <cctype>
#include <map>

#include "core/dispatch.h"
#include "kernels/cpu/rnn.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

using cpu::RnnActivation;
using cpu::RnnActivationKind;
using cpu::RnnCell;

struct ActivationSpec {
  RnnActivationKind kind;
  bool uses_alpha, uses_beta;
  float alpha, beta;  // defaults: those of the ONNX operator of the same name
};

const ActivationSpec& activation_spec(const std::string& op, const std::string& name) {
  static const std::map<std::string, ActivationSpec> specs = {
      {"relu", {RnnActivationKind::Relu, false, false, 0, 0}},
      {"tanh", {RnnActivationKind::Tanh, false, false, 0, 0}},
      {"sigmoid", {RnnActivationKind::Sigmoid, false, false, 0, 0}},
      {"affine", {RnnActivationKind::Affine, true, true, 1.f, 0.f}},
      {"leakyrelu", {RnnActivationKind::LeakyRelu, true, false, 0.01f, 0}},
      {"thresholdedrelu", {RnnActivationKind::ThresholdedRelu, true, false, 1.f, 0}},
      {"scaledtanh", {RnnActivationKind::ScaledTanh, true, true, 1.f, 1.f}},
      {"hardsigmoid", {RnnActivationKind::HardSigmoid, true, true, 0.2f, 0.5f}},
      {"elu", {RnnActivationKind::Elu, true, false, 1.f, 0}},
      {"softsign", {RnnActivationKind::Softsign, false, false, 0, 0}},
      {"softplus", {RnnActivationKind::Softplus, false, false, 0, 0}},
  };
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  auto it = specs.find(lower);
  if (it == specs.end())
    fail(op + ": unknown activation '" + name +
         "' (expected Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, "
         "Softsign or Softplus)");
  return it->second;
}

class RnnKernel : public Kernel {
 public:
  RnnKernel(const KernelInit& init, RnnCell cell) : op_(init.node.op_type) {
    const Attributes& a = init.node.attrs;
    p_.cell = cell;
    hidden_attr_ = a.get_int("hidden_size", 0);
    if (a.has("hidden_size") && hidden_attr_ <= 0)
      fail(op_ + ": hidden_size must be positive, got " + std::to_string(hidden_attr_));
    std::string direction = a.get_string("direction", "forward");
    if (direction == "bidirectional")
      p_.num_directions = 2;
    else if (direction == "reverse")
      p_.reverse = true;
    else if (direction != "forward")
      fail(op_ + ": direction must be forward, reverse or bidirectional, got '" + direction + "'");
    int64_t layout = init.opset >= 14 ? a.get_int("layout", 0) : 0;
    if (layout != 0 && layout != 1) fail(op_ + ": layout must be 0 or 1, got " + std::to_string(layout));
    p_.batch_major = layout == 1;
    if (a.has("clip")) {
      p_.clip = a.get_float("clip", 0);
      if (!(p_.clip > 0)) fail(op_ + ": clip must be positive, got " + std::to_string(p_.clip));
    }
    p_.linear_before_reset = cell == RnnCell::Gru && a.get_int("linear_before_reset", 0) != 0;
    p_.input_forget = cell == RnnCell::Lstm && a.get_int("input_forget", 0) != 0;

    const size_t per_dir = static_cast<size_t>(cpu::rnn_activation_count(cell));
    std::vector<std::string> names;
    if (a.has("activations"))
      names = a.get_strings("activations");
    else if (cell == RnnCell::Rnn)
      names = {"Tanh"};
    else if (cell == RnnCell::Gru)
      names = {"Sigmoid", "Tanh"};
    else
      names = {"Sigmoid", "Tanh", "Tanh"};
    // One direction's list serves both directions when only it is given.
    if (p_.num_directions == 2 && names.size() == per_dir) {
      std::vector<std::string> forward = names;
      names.insert(names.end(), forward.begin(), forward.end());
    }
    const size_t want = per_dir * static_cast<size_t>(p_.num_directions);
    if (names.size() != want)
      fail(op_ + ": activations lists " + std::to_string(names.size()) + " functions, expected " +
           std::to_string(want) + " (" + std::to_string(per_dir) + " per direction)");
    // alpha and beta values are consumed in order by the functions that take them.
    std::vector<float> alphas = a.get_floats("activation_alpha"), betas = a.get_floats("activation_beta");
    size_t next_alpha = 0, next_beta = 0;
    for (const std::string& name : names) {
      const ActivationSpec& spec = activation_spec(op_, name);
      RnnActivation act{spec.kind, spec.alpha, spec.beta};
      if (spec.uses_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
      if (spec.uses_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
      p_.activations.push_back(act);
    }
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    cpu::RnnProblem p = problem(in);
    const DType dt = in[0]->dtype();
    const int64_t S = p.seq_len, B = p.batch, D = p.num_directions, H = p.hidden;
    Shape y = p.batch_major ? Shape{B, S, D, H} : Shape{S, D, B, H};
    Shape state = p.batch_major ? Shape{B, D, H} : Shape{D, B, H};
    std::vector<TensorDesc> out = {{dt, y}, {dt, state}};
    if (p.cell == RnnCell::Lstm) out.push_back({dt, state});
    return out;
  }

  void compute(KernelContext& ctx) const override {
    cpu::RnnProblem p = problem(ctx.inputs);
    const Tensor* lens = input(ctx.inputs, 4);
    const int32_t* seq_lens = lens ? lens->data<int32_t>() : nullptr;
    if (seq_lens)
      for (int64_t i = 0; i < p.batch; ++i)
        if (seq_lens[i] < 0 || seq_lens[i] > p.seq_len)
          fail(op_ + ": sequence_lens[" + std::to_string(i) + "] = " + std::to_string(seq_lens[i]) +
               " is outside [0, " + std::to_string(p.seq_len) + "]");
    const bool lstm = p.cell == RnnCell::Lstm;
    const size_t n_out = lstm ? 3 : 2;
    const DType dt = ctx.in(0).dtype();
    if (dt == DType::Float32 || dt == DType::Float64) {
      dispatch_float(dt, op_.c_str(), [&]<typename T>() {
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          auto ptr = [&](size_t i) {
            return input(ctx.inputs, i) ? input(ctx.inputs, i)->template data<T>() : nullptr;
          };
          auto out = [&](size_t i) { return i < n_out && ctx.has_output(i) ? ctx.out(i).template data<T>() : nullptr; };
          cpu::rnn_sequence<T>(p, ptr(0), ptr(1), ptr(2), ptr(3), seq_lens, ptr(5), lstm ? ptr(6) : nullptr,
                               lstm ? ptr(7) : nullptr, out(0), out(1), out(2), &ctx.pool);
        }
      });
      return;
    }
    // Half types: float32 copies in and out.
    std::vector<Tensor> f32_in(8);
    for (size_t i = 0; i < 8; ++i)
      if (i != 4 && input(ctx.inputs, i)) f32_in[i] = to_float(*input(ctx.inputs, i));
    std::vector<Tensor> f32_out(n_out);
    for (size_t i = 0; i < n_out; ++i)
      if (ctx.has_output(i)) f32_out[i] = Tensor(DType::Float32, ctx.out(i).shape());
    auto ptr = [&](size_t i) { return f32_in[i].defined() ? f32_in[i].data<float>() : nullptr; };
    auto out = [&](size_t i) { return i < n_out && f32_out[i].defined() ? f32_out[i].data<float>() : nullptr; };
    cpu::rnn_sequence<float>(p, ptr(0), ptr(1), ptr(2), ptr(3), seq_lens, ptr(5), lstm ? ptr(6) : nullptr,
                             lstm ? ptr(7) : nullptr, out(0), out(1), out(2), &ctx.pool);
    for (size_t i = 0; i < n_out; ++i)
      if (f32_out[i].defined()) from_float(f32_out[i], ctx.out(i));
  }

 private:
  static const Tensor* input(std::span<const Tensor* const> in, size_t i) { return i < in.size() ? in[i] : nullptr; }

  static Tensor to_float(const Tensor& t) {
    Tensor f(DType::Float32, t.shape());
    dispatch_float(t.dtype(), "RNN input", [&]<typename T>() {
      for (int64_t i = 0; i < t.numel(); ++i) f.data<float>()[i] = static_cast<float>(t.data<T>()[i]);
    });
    return f;
  }
  static void from_float(const Tensor& f, Tensor& t) {
    dispatch_float(t.dtype(), "RNN output", [&]<typename T>() {
      for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = static_cast<T>(f.data<float>()[i]);
    });
  }

  // Checks every input's dtype and shape; returns the problem with its sizes filled in.
  cpu::RnnProblem problem(std::span<const Tensor* const> in) const {
    const Tensor* x = input(in, 0);
    const Tensor* w = input(in, 1);
    const Tensor* r = input(in, 2);
    if (!x || !w || !r) fail(op_ + " needs inputs X, W and R");
    const DType dt = x->dtype();
    if (!dtype_is_float(dt)) fail(op_ + ": X must be a floating-point tensor, got " + dtype_name(dt));
    if (x->rank() != 3) fail(op_ + ": X must be 3-D, got shape " + shape_to_string(x->shape()));
    cpu::RnnProblem p = p_;
    const int64_t D = p.num_directions, G = cpu::rnn_gate_count(p.cell);
    p.seq_len = x->dim(p.batch_major ? 1 : 0);
    p.batch = x->dim(p.batch_major ? 0 : 1);
    p.input_size = x->dim(2);
    p.hidden = hidden_attr_ > 0 ? hidden_attr_ : (r->rank() == 3 ? r->dim(2) : 0);
    const int64_t B = p.batch, H = p.hidden;
    auto check = [&](const Tensor* t, const char* name, Shape want) {
      if (!t) return;
      if (t->dtype() != dt)
        fail(op_ + ": " + name + " must have X's dtype " + dtype_name(dt) + ", got " + dtype_name(t->dtype()));
      if (t->shape() != want)
        fail(op_ + ": " + name + " must have shape " + shape_to_string(want) + ", got " + shape_to_string(t->shape()));
    };
    check(w, "W", {D, G * H, p.input_size});
    check(r, "R", {D, G * H, H});
    check(input(in, 3), "B", {D, 2 * G * H});
    Shape state = p.batch_major ? Shape{B, D, H} : Shape{D, B, H};
    check(input(in, 5), "initial_h", state);
    if (p.cell == RnnCell::Lstm) {
      check(input(in, 6), "initial_c", state);
      check(input(in, 7), "P", {D, 3 * H});
    }
    if (const Tensor* lens = input(in, 4)) {
      if (lens->dtype() != DType::Int32) fail(op_ + ": sequence_lens must be int32, got " + dtype_name(lens->dtype()));
      if (lens->shape() != Shape{B})
        fail(op_ + ": sequence_lens must have shape " + shape_to_string({B}) + ", got " +
             shape_to_string(lens->shape()));
    }
    return p;
  }

  std::string op_;
  int64_t hidden_attr_ = 0;
  cpu::RnnProblem p_;
};

struct RnnCellKernel final : RnnKernel {
  explicit RnnCellKernel(const KernelInit& init) : RnnKernel(init, RnnCell::Rnn) {}
};
struct GruKernel final : RnnKernel {
  explicit GruKernel(const KernelInit& init) : RnnKernel(init, RnnCell::Gru) {}
};
struct LstmKernel final : RnnKernel {
  explicit LstmKernel(const KernelInit& init) : RnnKernel(init, RnnCell::Lstm) {}
};

}  // namespace

LRE_CPU_KERNEL(RNN, RnnCellKernel);
LRE_CPU_KERNEL(GRU, GruKernel);
LRE_CPU_KERNEL(LSTM, LstmKernel);

}  // namespace lre
