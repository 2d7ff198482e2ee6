// RNN, GRU and LSTM against a float64 reference that follows the ONNX equations step by step,
// covering directions, both layouts, sequence lengths, initial states, peepholes, clip, custom
// activations, linear_before_reset and input_forget.
#include <algorithm>
#include <cctype>

#include "op_test_util.h"

namespace lre::test {

namespace {

struct RnnCase {
  std::string op = "RNN";
  int64_t seq = 4, batch = 3, input = 5, hidden = 7;
  std::string direction = "forward";
  int layout = 0;
  bool bias = false, initial_h = false, initial_c = false, peephole = false, clip_set = false;
  std::vector<int32_t> seq_lens;  // empty: every sequence is full length
  float clip = 0;
  int linear_before_reset = 0, input_forget = 0;
  std::vector<std::string> activations;  // empty: the op's defaults
  std::vector<float> alphas, betas;
  bool want_y = true, want_h = true, want_c = true;
  DType dtype = DType::Float32;
};

int gates(const std::string& op) { return op == "RNN" ? 1 : op == "GRU" ? 3 : 4; }
int dirs(const RnnCase& c) { return c.direction == "bidirectional" ? 2 : 1; }

double ref_activation(const std::string& name, double a, double b, double x) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (n == "tanh") return std::tanh(x);
  if (n == "sigmoid") return 1 / (1 + std::exp(-x));
  if (n == "relu") return std::max(0.0, x);
  if (n == "leakyrelu") return x >= 0 ? x : a * x;
  if (n == "hardsigmoid") return std::clamp(a * x + b, 0.0, 1.0);
  if (n == "affine") return a * x + b;
  if (n == "scaledtanh") return a * std::tanh(b * x);
  if (n == "elu") return x >= 0 ? x : a * (std::exp(x) - 1);
  if (n == "softsign") return x / (1 + std::fabs(x));
  if (n == "softplus") return std::log(1 + std::exp(x));
  if (n == "thresholdedrelu") return x > a ? x : 0;
  ADD_FAILURE() << "reference lacks activation " << name;
  return 0;
}

struct Act {
  std::string name;
  double alpha, beta;
  double operator()(double x) const { return ref_activation(name, alpha, beta, x); }
};

struct Inputs {
  Tensor x, w, r, b, lens, h0, c0, p;
};

Inputs make_inputs(const RnnCase& c) {
  const int64_t D = dirs(c), G = gates(c.op), H = c.hidden, B = c.batch, S = c.seq;
  Inputs in;
  in.x = random_tensor(c.dtype, c.layout ? Shape{B, S, c.input} : Shape{S, B, c.input}, 11, -1, 1);
  in.w = random_tensor(c.dtype, {D, G * H, c.input}, 12, -0.6, 0.6);
  in.r = random_tensor(c.dtype, {D, G * H, H}, 13, -0.6, 0.6);
  in.b = random_tensor(c.dtype, {D, 2 * G * H}, 14, -0.5, 0.5);
  in.lens =
      make_tensor<int32_t>({B}, c.seq_lens.empty() ? std::vector<int32_t>(B, static_cast<int32_t>(S)) : c.seq_lens);
  Shape state = c.layout ? Shape{B, D, H} : Shape{D, B, H};
  in.h0 = random_tensor(c.dtype, state, 15, -1, 1);
  in.c0 = random_tensor(c.dtype, state, 16, -1, 1);
  in.p = random_tensor(c.dtype, {D, 3 * H}, 17, -0.5, 0.5);
  return in;
}

// Y, Y_h, Y_c in the layout of the case.
std::vector<std::vector<double>> reference(const RnnCase& c, const Inputs& in) {
  const int64_t D = dirs(c), G = gates(c.op), H = c.hidden, B = c.batch, S = c.seq, I = c.input;
  std::vector<double> X = to_doubles(in.x), W = to_doubles(in.w), R = to_doubles(in.r), Bv = to_doubles(in.b),
                      H0 = to_doubles(in.h0), C0 = to_doubles(in.c0), P = to_doubles(in.p);
  std::vector<std::string> names = c.activations;
  if (names.empty())
    names = c.op == "RNN"   ? std::vector<std::string>{"Tanh"}
            : c.op == "GRU" ? std::vector<std::string>{"Sigmoid", "Tanh"}
                            : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
  const size_t per_dir = c.op == "RNN" ? 1 : c.op == "GRU" ? 2 : 3;
  if (D == 2 && names.size() == per_dir) {
    std::vector<std::string> forward = names;
    names.insert(names.end(), forward.begin(), forward.end());
  }
  std::vector<Act> acts;
  size_t ai = 0, bi = 0;
  for (const auto& n : names) {
    Act a{n, 0, 0};
    std::string l = n;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char ch) { return std::tolower(ch); });
    bool ua = l == "leakyrelu" || l == "hardsigmoid" || l == "affine" || l == "scaledtanh" || l == "elu" ||
              l == "thresholdedrelu";
    bool ub = l == "hardsigmoid" || l == "affine" || l == "scaledtanh";
    a.alpha = l == "leakyrelu" ? 0.01 : l == "hardsigmoid" ? 0.2 : 1.0;
    a.beta = l == "hardsigmoid" ? 0.5 : l == "scaledtanh" ? 1.0 : 0.0;
    if (ua && ai < c.alphas.size()) a.alpha = c.alphas[ai++];
    if (ub && bi < c.betas.size()) a.beta = c.betas[bi++];
    acts.push_back(a);
  }
  auto clip = [&](double v) {
    return c.clip_set ? std::clamp(v, -static_cast<double>(c.clip), static_cast<double>(c.clip)) : v;
  };
  auto xat = [&](int64_t t, int64_t b, int64_t i) { return X[(c.layout ? b * S + t : t * B + b) * I + i]; };
  auto yoff = [&](int64_t t, int64_t d, int64_t b) {
    return (c.layout ? (b * S + t) * D + d : (t * D + d) * B + b) * H;
  };
  auto soff = [&](int64_t d, int64_t b) { return (c.layout ? b * D + d : d * B + b) * H; };

  std::vector<double> Y(static_cast<size_t>(S * D * B * H), 0.0), Yh(static_cast<size_t>(D * B * H)), Yc(Yh.size());
  for (int64_t d = 0; d < D; ++d) {
    const bool back = D == 2 ? d == 1 : c.direction == "reverse";
    const Act* f = &acts[d * per_dir];
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = c.seq_lens.empty() ? S : c.seq_lens[b];
      std::vector<double> h(H, 0.0), cs(H, 0.0);
      for (int64_t j = 0; j < H; ++j) {
        if (c.initial_h) h[j] = H0[soff(d, b) + j];
        if (c.initial_c) cs[j] = C0[soff(d, b) + j];
      }
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = back ? len - 1 - s : s;
        // xw[g][j] = x W^T + Wb, hr[g][j] = h R^T + Rb
        std::vector<double> xw(G * H), hr(G * H);
        for (int64_t row = 0; row < G * H; ++row) {
          double a = c.bias ? Bv[d * 2 * G * H + row] : 0, q = c.bias ? Bv[d * 2 * G * H + G * H + row] : 0;
          for (int64_t i = 0; i < I; ++i) a += xat(t, b, i) * W[(d * G * H + row) * I + i];
          for (int64_t k = 0; k < H; ++k) q += h[k] * R[(d * G * H + row) * H + k];
          xw[row] = a;
          hr[row] = q;
        }
        std::vector<double> hn(H);
        if (c.op == "RNN") {
          for (int64_t j = 0; j < H; ++j) hn[j] = f[0](clip(xw[j] + hr[j]));
        } else if (c.op == "GRU") {
          std::vector<double> z(H), r(H);
          for (int64_t j = 0; j < H; ++j) {
            z[j] = f[0](clip(xw[j] + hr[j]));
            r[j] = f[0](clip(xw[H + j] + hr[H + j]));
          }
          for (int64_t j = 0; j < H; ++j) {
            double cand;
            if (c.linear_before_reset) {
              cand = xw[2 * H + j] + r[j] * hr[2 * H + j];
            } else {
              double rb = c.bias ? Bv[d * 2 * G * H + G * H + 2 * H + j] : 0;
              cand = xw[2 * H + j] + rb;
              for (int64_t k = 0; k < H; ++k) cand += r[k] * h[k] * R[(d * G * H + 2 * H + j) * H + k];
            }
            double hh = f[1](clip(cand));
            hn[j] = (1 - z[j]) * hh + z[j] * h[j];
          }
        } else {
          const double* pd = c.peephole ? &P[d * 3 * H] : nullptr;
          for (int64_t j = 0; j < H; ++j) {
            double ig = f[0](clip(xw[j] + hr[j] + (pd ? pd[j] * cs[j] : 0)));
            double fg =
                c.input_forget ? 1 - ig : f[0](clip(xw[2 * H + j] + hr[2 * H + j] + (pd ? pd[2 * H + j] * cs[j] : 0)));
            double cg = f[1](clip(xw[3 * H + j] + hr[3 * H + j]));
            double cn = fg * cs[j] + ig * cg;
            double og = f[0](clip(xw[H + j] + hr[H + j] + (pd ? pd[H + j] * cn : 0)));
            cs[j] = cn;
            hn[j] = og * f[2](cn);
          }
        }
        h = hn;
        for (int64_t j = 0; j < H; ++j) Y[yoff(t, d, b) + j] = h[j];
      }
      for (int64_t j = 0; j < H; ++j) {
        Yh[soff(d, b) + j] = h[j];
        Yc[soff(d, b) + j] = cs[j];
      }
    }
  }
  return {Y, Yh, Yc};
}

// Builds the one-node model directly (OpTest has no setter for the strings attribute
// `activations`) and runs it with 3 threads.
std::vector<Tensor> run_case(const RnnCase& c, const Inputs& in) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(17);
  auto* g = model.mutable_graph();
  g->set_name("test_" + c.op);
  auto* node = g->add_node();
  node->set_op_type(c.op);
  NamedTensors feeds;
  auto add_input = [&](const std::string& name, const Tensor* value) {
    node->add_input(value ? name : "");
    if (!value) return;
    auto* vi = g->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(dtype_to_onnx(value->dtype()));
    for (int64_t d : value->shape()) tt->mutable_shape()->add_dim()->set_dim_value(d);
    feeds.emplace_back(name, *value);
  };
  const bool lstm = c.op == "LSTM";
  add_input("X", &in.x);
  add_input("W", &in.w);
  add_input("R", &in.r);
  add_input("B", c.bias ? &in.b : nullptr);
  add_input("sequence_lens", c.seq_lens.empty() ? nullptr : &in.lens);
  add_input("initial_h", c.initial_h ? &in.h0 : nullptr);
  if (lstm) {
    add_input("initial_c", c.initial_c ? &in.c0 : nullptr);
    add_input("P", c.peephole ? &in.p : nullptr);
  }
  auto add_output = [&](const std::string& name, bool wanted) {
    node->add_output(wanted ? name : "");
    if (wanted) g->add_output()->set_name(name);
  };
  add_output("Y", c.want_y);
  add_output("Y_h", c.want_h);
  if (lstm) add_output("Y_c", c.want_c);
  auto attr = [&](const std::string& name, onnx::AttributeProto::AttributeType type) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
  };
  attr("hidden_size", onnx::AttributeProto::INT)->set_i(c.hidden);
  attr("direction", onnx::AttributeProto::STRING)->set_s(c.direction);
  if (c.layout) attr("layout", onnx::AttributeProto::INT)->set_i(c.layout);
  if (c.clip_set) attr("clip", onnx::AttributeProto::FLOAT)->set_f(c.clip);
  if (c.op == "GRU") attr("linear_before_reset", onnx::AttributeProto::INT)->set_i(c.linear_before_reset);
  if (lstm && c.input_forget) attr("input_forget", onnx::AttributeProto::INT)->set_i(c.input_forget);
  if (!c.activations.empty()) {
    auto* a = attr("activations", onnx::AttributeProto::STRINGS);
    for (const auto& n : c.activations) a->add_strings(n);
  }
  if (!c.alphas.empty()) {
    auto* a = attr("activation_alpha", onnx::AttributeProto::FLOATS);
    for (float v : c.alphas) a->add_floats(v);
  }
  if (!c.betas.empty()) {
    auto* a = attr("activation_beta", onnx::AttributeProto::FLOATS);
    for (float v : c.betas) a->add_floats(v);
  }
  EngineOptions options;
  options.check_model = false;
  auto engine = Engine::load_from_memory(model.SerializeAsString(), options, ".", "test_model");
  ExecutionContext ctx(engine, {.threads = 3});
  return ctx.run(feeds);
}

void check_case(const RnnCase& c, double rtol = 1e-4, double atol = 1e-5) {
  Inputs in = make_inputs(c);
  auto want = reference(c, in);
  auto got = run_case(c, in);
  size_t k = 0;
  if (c.want_y) {
    ASSERT_EQ(got[k].dtype(), c.dtype);
    expect_close(got[k++], want[0], rtol, atol);
  }
  if (c.want_h) expect_close(got[k++], want[1], rtol, atol);
  if (c.op == "LSTM" && c.want_c) expect_close(got[k++], want[2], rtol, atol);
}

}  // namespace

TEST(RNN, ForwardDefaultsMatchReference) { check_case(RnnCase{}); }

TEST(RNN, BidirectionalBatchMajorWithLengthsAndState) {
  RnnCase c;
  c.direction = "bidirectional";
  c.layout = 1;
  c.bias = c.initial_h = true;
  c.seq_lens = {4, 1, 3};
  check_case(c);
}

TEST(RNN, ActivationsWithAlphaBetaAndClip) {
  RnnCase c;
  c.direction = "bidirectional";
  c.bias = true;
  c.activations = {"LeakyRelu", "ScaledTanh"};  // forward, reverse
  c.alphas = {0.3f, 0.7f};
  c.betas = {1.3f};
  c.clip_set = true;
  c.clip = 0.8f;
  check_case(c);
}

TEST(GRU, ForwardDefaultsMatchReference) {
  RnnCase c;
  c.op = "GRU";
  check_case(c);
}

TEST(GRU, ReverseWithLengthsBiasAndState) {
  for (int lbr : {0, 1}) {
    RnnCase c;
    c.op = "GRU";
    c.direction = "reverse";
    c.linear_before_reset = lbr;
    c.bias = c.initial_h = true;
    c.seq_lens = {2, 4, 0};
    check_case(c);
  }
}

TEST(GRU, BidirectionalLinearBeforeResetBatchMajor) {
  RnnCase c;
  c.op = "GRU";
  c.direction = "bidirectional";
  c.layout = 1;
  c.linear_before_reset = 1;
  c.bias = true;
  c.activations = {"HardSigmoid", "Softsign", "Sigmoid", "Tanh"};
  c.alphas = {0.3f};
  c.betas = {0.45f};
  check_case(c);
}

TEST(LSTM, ForwardDefaultsMatchReference) {
  RnnCase c;
  c.op = "LSTM";
  check_case(c);
}

TEST(LSTM, PeepholesStatesAndLengthsBidirectional) {
  RnnCase c;
  c.op = "LSTM";
  c.direction = "bidirectional";
  c.bias = c.initial_h = c.initial_c = c.peephole = true;
  c.seq_lens = {3, 4, 1};
  check_case(c);
}

TEST(LSTM, InputForgetClipReverseBatchMajor) {
  RnnCase c;
  c.op = "LSTM";
  c.direction = "reverse";
  c.layout = 1;
  c.input_forget = 1;
  c.clip_set = true;
  c.clip = 0.5f;
  c.bias = c.initial_c = c.peephole = true;
  check_case(c);
}

TEST(LSTM, OnlyCellStateWanted) {
  RnnCase c;
  c.op = "LSTM";
  c.want_y = c.want_h = false;
  c.initial_h = true;
  check_case(c);
}

TEST(LSTM, LargeBatchUsesThreads) {
  RnnCase c;
  c.op = "LSTM";
  c.seq = 3;
  c.batch = 33;
  c.input = 19;
  c.hidden = 67;
  c.bias = c.initial_h = true;
  check_case(c, 1e-4, 1e-4);
}

TEST(LSTM, Float16AndFloat64) {
  RnnCase c;
  c.op = "LSTM";
  c.dtype = DType::Float16;
  c.bias = c.peephole = c.initial_c = true;
  check_case(c, 1e-2, 1e-2);
  c.dtype = DType::Float64;
  check_case(c, 1e-9, 1e-10);
}

TEST(RNN, RejectsBadInputsAndAttributes) {
  Inputs in = make_inputs(RnnCase{});
  auto run_with = [&](auto edit) {
    RnnCase c;
    Inputs i = in;
    edit(c, i);
    return run_case(c, i);
  };
  // W with the wrong number of rows.
  EXPECT_THROW(run_with([](RnnCase&, Inputs& i) { i.w = random_tensor(DType::Float32, {1, 6, 5}, 1); }), Error);
  EXPECT_THROW(run_with([](RnnCase& c, Inputs&) { c.direction = "sideways"; }), Error);
  EXPECT_THROW(run_with([](RnnCase& c, Inputs&) { c.activations = {"Swish"}; }), Error);
  EXPECT_THROW(run_with([](RnnCase& c, Inputs&) { c.activations = {"Tanh", "Tanh"}; }), Error);
  EXPECT_THROW(run_with([](RnnCase& c, Inputs&) { c.layout = 2; }), Error);
  EXPECT_THROW(run_with([](RnnCase& c, Inputs& i) {  // a length past the sequence
                 c.seq_lens = {1, 5, 2};
                 i.lens = make_tensor<int32_t>({3}, c.seq_lens);
               }),
               Error);
  EXPECT_THROW(run_with([](RnnCase& c, Inputs&) { c.op = "GRU"; }), Error);  // W holds 1 gate, GRU needs 3
  EXPECT_THROW(run_with([](RnnCase& c, Inputs& i) {
                 c.initial_h = true;
                 i.h0 = random_tensor(DType::Float32, {1, 2, 7}, 1);
               }),
               Error);
}

}  // namespace lre::test
