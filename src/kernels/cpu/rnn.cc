// RNN, GRU and LSTM sequences. Biases that are simply added are folded into the input projection
// once; per step, one gemm of the previous hidden state by R^T feeds the gate arithmetic, which
// runs batch rows in parallel. GRU without linear_before_reset needs r before its last gemm, so
// its step is two passes around a second, smaller gemm.
#include "kernels/cpu/rnn.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/gemm.h"

namespace lre::cpu {

int rnn_gate_count(RnnCell cell) { return cell == RnnCell::Rnn ? 1 : cell == RnnCell::Gru ? 3 : 4; }
int rnn_activation_count(RnnCell cell) { return cell == RnnCell::Rnn ? 1 : cell == RnnCell::Gru ? 2 : 3; }

namespace {

// c = a * b^T with a (m, k) and b (n, k).
void matmul_bt(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
               int64_t ldc, ThreadPool* pool) {
  gemm_f32(false, true, m, n, k, 1.f, a, lda, b, ldb, 0.f, c, ldc, pool);
}

// float64 has no tuned gemm; rows of c go to threads.
void matmul_bt(int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b, int64_t ldb, double* c,
               int64_t ldc, ThreadPool* pool) {
  auto rows = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t q = 0; q < k; ++q) acc += a[i * lda + q] * b[j * ldb + q];
        c[i * ldc + j] = acc;
      }
  };
  if (pool && m * n * k > (1 << 16))
    pool->parallel_for(m, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(n * k, 1)), rows);
  else
    rows(0, m);
}

template <typename T>
void activate(const RnnActivation& a, T* v, int64_t n) {
  const T alpha = a.alpha, beta = a.beta;
  switch (a.kind) {
    case RnnActivationKind::Relu:
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 0 ? v[i] : T(0);
      break;
    case RnnActivationKind::Tanh:
      for (int64_t i = 0; i < n; ++i) v[i] = std::tanh(v[i]);
      break;
    case RnnActivationKind::Sigmoid:
      for (int64_t i = 0; i < n; ++i) v[i] = T(1) / (T(1) + std::exp(-v[i]));
      break;
    case RnnActivationKind::Affine:
      for (int64_t i = 0; i < n; ++i) v[i] = alpha * v[i] + beta;
      break;
    case RnnActivationKind::LeakyRelu:
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] >= 0 ? v[i] : alpha * v[i];
      break;
    case RnnActivationKind::ThresholdedRelu:
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] > alpha ? v[i] : T(0);
      break;
    case RnnActivationKind::ScaledTanh:
      for (int64_t i = 0; i < n; ++i) v[i] = alpha * std::tanh(beta * v[i]);
      break;
    case RnnActivationKind::HardSigmoid:
      for (int64_t i = 0; i < n; ++i) v[i] = std::clamp(alpha * v[i] + beta, T(0), T(1));
      break;
    case RnnActivationKind::Elu:
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] >= 0 ? v[i] : alpha * (std::exp(v[i]) - 1);
      break;
    case RnnActivationKind::Softsign:
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] / (1 + std::fabs(v[i]));
      break;
    case RnnActivationKind::Softplus:
      // log1p(exp(x)) overflows for large x, where the result is x itself.
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 30 ? v[i] : std::log1p(std::exp(v[i]));
      break;
  }
}

// Index helpers for ONNX's two layouts.
struct Layout {
  int64_t seq, batch, dirs, hidden;
  bool batch_major;
  int64_t x_row(int64_t t, int64_t b) const { return batch_major ? b * seq + t : t * batch + b; }
  int64_t y_offset(int64_t t, int64_t d, int64_t b) const {
    return (batch_major ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden;
  }
  int64_t state_offset(int64_t d, int64_t b) const { return (batch_major ? b * dirs + d : d * batch + b) * hidden; }
};

// Runs fn(b) for every batch row, in parallel when the rows carry enough work.
template <typename F>
void for_rows(int64_t batch, int64_t work_per_row, ThreadPool* pool, F&& fn) {
  auto rows = [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) fn(b);
  };
  constexpr int64_t kGrain = 1 << 13;
  if (pool && batch > 1 && batch * work_per_row > kGrain)
    pool->parallel_for(batch, std::max<int64_t>(1, kGrain / std::max<int64_t>(work_per_row, 1)), rows);
  else
    rows(0, batch);
}

template <typename T>
void run_direction(const RnnProblem& p, int d, bool backwards, const T* x, const T* w, const T* r, const T* b,
                   const int32_t* seq_lens, const T* initial_h, const T* initial_c, const T* peephole, T* y, T* y_h,
                   T* y_c, ThreadPool* pool) {
  const int64_t S = p.seq_len, B = p.batch, I = p.input_size, H = p.hidden;
  const int64_t G = rnn_gate_count(p.cell), GH = G * H;
  const Layout lay{S, B, p.num_directions, H, p.batch_major};
  const RnnActivation* act = p.activations.data() + static_cast<size_t>(d) * rnn_activation_count(p.cell);
  const T* w_d = w + d * GH * I;
  const T* r_d = r + d * GH * H;
  const bool gru_split = p.cell == RnnCell::Gru && !p.linear_before_reset;
  const T clip = p.clip;
  auto clipped = [clip](T v) { return clip > 0 ? std::clamp(v, -clip, clip) : v; };

  // xw: (seq * batch, gates * hidden), rows in X's order, biases folded in except GRU's Rbh under
  // linear_before_reset, which is scaled by r.
  std::vector<T> xw(static_cast<size_t>(S * B * GH));
  matmul_bt(S * B, GH, I, x, I, w_d, I, xw.data(), GH, pool);
  std::vector<T> rbh(static_cast<size_t>(H), T(0));
  if (b) {
    const T* wb = b + d * 2 * GH;
    const T* rb = wb + GH;
    std::vector<T> bias(static_cast<size_t>(GH));
    for (int64_t k = 0; k < GH; ++k) bias[k] = wb[k] + rb[k];
    if (p.cell == RnnCell::Gru && p.linear_before_reset)
      for (int64_t k = 0; k < H; ++k) {
        bias[2 * H + k] = wb[2 * H + k];
        rbh[k] = rb[2 * H + k];
      }
    for_rows(S * B, GH, pool, [&](int64_t row) {
      T* dst = xw.data() + row * GH;
      for (int64_t k = 0; k < GH; ++k) dst[k] += bias[k];
    });
  }

  std::vector<int64_t> len(static_cast<size_t>(B), S);
  if (seq_lens)
    for (int64_t i = 0; i < B; ++i) len[i] = seq_lens[i];
  const int64_t max_len = B ? *std::max_element(len.begin(), len.end()) : 0;

  // State (batch, hidden), carried across steps; rows whose sequence ended keep their last value.
  std::vector<T> h(static_cast<size_t>(B * H), T(0)), c;
  if (p.cell == RnnCell::Lstm) c.assign(static_cast<size_t>(B * H), T(0));
  for (int64_t i = 0; i < B; ++i) {
    if (initial_h) std::copy_n(initial_h + lay.state_offset(d, i), H, h.data() + i * H);
    if (initial_c && !c.empty()) std::copy_n(initial_c + lay.state_offset(d, i), H, c.data() + i * H);
  }
  if (y)
    for (int64_t i = 0; i < B; ++i)
      for (int64_t t = len[i]; t < S; ++t) std::fill_n(y + lay.y_offset(t, d, i), H, T(0));

  std::vector<T> hr(static_cast<size_t>(B * GH));      // h_prev * R^T, then the gates in place
  std::vector<T> scratch(static_cast<size_t>(B * H));  // GRU: r . h_prev; LSTM: h(C)
  const T* p_i = peephole ? peephole + d * 3 * H : nullptr;
  const T* p_o = p_i ? p_i + H : nullptr;
  const T* p_f = p_i ? p_i + 2 * H : nullptr;

  for (int64_t s = 0; s < max_len; ++s) {
    auto time_of = [&](int64_t i) { return backwards ? len[i] - 1 - s : s; };
    matmul_bt(B, gru_split ? 2 * H : GH, H, h.data(), H, r_d, H, hr.data(), GH, pool);

    if (p.cell == RnnCell::Rnn) {
      for_rows(B, H, pool, [&](int64_t i) {
        if (s >= len[i]) return;
        const T* xr = xw.data() + lay.x_row(time_of(i), i) * GH;
        T* g = hr.data() + i * GH;
        for (int64_t k = 0; k < H; ++k) g[k] = clipped(xr[k] + g[k]);
        activate(act[0], g, H);
        std::copy_n(g, H, h.data() + i * H);
      });
    } else if (p.cell == RnnCell::Gru) {
      // z and r (and, under linear_before_reset, the candidate) row by row.
      for_rows(B, GH, pool, [&](int64_t i) {
        if (s >= len[i]) return;
        const T* xr = xw.data() + lay.x_row(time_of(i), i) * GH;
        T* g = hr.data() + i * GH;
        const T* hp = h.data() + i * H;
        for (int64_t k = 0; k < 2 * H; ++k) g[k] = clipped(xr[k] + g[k]);
        activate(act[0], g, 2 * H);
        if (gru_split) {
          for (int64_t k = 0; k < H; ++k) scratch[i * H + k] = g[H + k] * hp[k];
        } else {
          for (int64_t k = 0; k < H; ++k) g[2 * H + k] = clipped(xr[2 * H + k] + g[H + k] * (g[2 * H + k] + rbh[k]));
        }
      });
      // (r . h_prev) * Rh^T; rows whose sequence ended compute garbage that is never used.
      if (gru_split) matmul_bt(B, H, H, scratch.data(), H, r_d + 2 * H * H, H, hr.data() + 2 * H, GH, pool);
      for_rows(B, H, pool, [&](int64_t i) {
        if (s >= len[i]) return;
        const T* xr = xw.data() + lay.x_row(time_of(i), i) * GH;
        T* g = hr.data() + i * GH;
        T* hp = h.data() + i * H;
        if (gru_split)
          for (int64_t k = 0; k < H; ++k) g[2 * H + k] = clipped(xr[2 * H + k] + g[2 * H + k]);
        activate(act[1], g + 2 * H, H);
        for (int64_t k = 0; k < H; ++k) hp[k] = (T(1) - g[k]) * g[2 * H + k] + g[k] * hp[k];
      });
    } else {
      for_rows(B, GH, pool, [&](int64_t i) {
        if (s >= len[i]) return;
        const T* xr = xw.data() + lay.x_row(time_of(i), i) * GH;
        T* g = hr.data() + i * GH;  // i, o, f, c
        T* gi = g;
        T* go = g + H;
        T* gf = g + 2 * H;
        T* gc = g + 3 * H;
        T* hp = h.data() + i * H;
        T* cp = c.data() + i * H;
        T* hc = scratch.data() + i * H;
        for (int64_t k = 0; k < H; ++k) {
          gi[k] = clipped(xr[k] + gi[k] + (p_i ? p_i[k] * cp[k] : T(0)));
          gf[k] = clipped(xr[2 * H + k] + gf[k] + (p_f ? p_f[k] * cp[k] : T(0)));
          gc[k] = clipped(xr[3 * H + k] + gc[k]);
        }
        activate(act[0], gi, H);
        if (p.input_forget) {
          for (int64_t k = 0; k < H; ++k) gf[k] = T(1) - gi[k];
        } else {
          activate(act[0], gf, H);
        }
        activate(act[1], gc, H);
        for (int64_t k = 0; k < H; ++k) {
          cp[k] = gf[k] * cp[k] + gi[k] * gc[k];
          go[k] = clipped(xr[H + k] + go[k] + (p_o ? p_o[k] * cp[k] : T(0)));
          hc[k] = cp[k];
        }
        activate(act[0], go, H);
        activate(act[2], hc, H);
        for (int64_t k = 0; k < H; ++k) hp[k] = go[k] * hc[k];
      });
    }

    if (y)
      for (int64_t i = 0; i < B; ++i)
        if (s < len[i]) std::copy_n(h.data() + i * H, H, y + lay.y_offset(time_of(i), d, i));
  }

  for (int64_t i = 0; i < B; ++i) {
    if (y_h) std::copy_n(h.data() + i * H, H, y_h + lay.state_offset(d, i));
    if (y_c) std::copy_n(c.data() + i * H, H, y_c + lay.state_offset(d, i));
  }
}

}  // namespace

template <typename T>
void rnn_sequence(const RnnProblem& p, const T* x, const T* w, const T* r, const T* b, const int32_t* seq_lens,
                  const T* initial_h, const T* initial_c, const T* peephole, T* y, T* y_h, T* y_c, ThreadPool* pool) {
  for (int d = 0; d < p.num_directions; ++d) {
    bool backwards = p.num_directions == 2 ? d == 1 : p.reverse;
    run_direction(p, d, backwards, x, w, r, b, seq_lens, initial_h, initial_c, peephole, y, y_h, y_c, pool);
  }
}

template void rnn_sequence<float>(const RnnProblem&, const float*, const float*, const float*, const float*,
                                  const int32_t*, const float*, const float*, const float*, float*, float*, float*,
                                  ThreadPool*);
template void rnn_sequence<double>(const RnnProblem&, const double*, const double*, const double*, const double*,
                                   const int32_t*, const double*, const double*, const double*, double*, double*,
                                   double*, ThreadPool*);

}  // namespace lre::cpu
