// The recurrent cells RNN, GRU and LSTM over a whole sequence, in ONNX's gate orders and layouts.
// The input projection of every time step is one big gemm up front; each step then does one
// (batch, hidden) x (hidden, gates * hidden) gemm and the gate arithmetic.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace lre::cpu {

enum class RnnCell { Rnn, Gru, Lstm };

enum class RnnActivationKind {
  Relu,
  Tanh,
  Sigmoid,
  Affine,
  LeakyRelu,
  ThresholdedRelu,
  ScaledTanh,
  HardSigmoid,
  Elu,
  Softsign,
  Softplus
};

struct RnnActivation {
  RnnActivationKind kind = RnnActivationKind::Tanh;
  float alpha = 0, beta = 0;
};

// Gates per cell: RNN 1, GRU 3 (z, r, h), LSTM 4 (i, o, f, c).
int rnn_gate_count(RnnCell cell);
// Activation functions per direction: RNN 1 (f), GRU 2 (f, g), LSTM 3 (f, g, h).
int rnn_activation_count(RnnCell cell);

struct RnnProblem {
  RnnCell cell = RnnCell::Rnn;
  int64_t seq_len = 0, batch = 0, input_size = 0, hidden = 0;
  int num_directions = 1;
  bool reverse = false;                    // the only direction runs backwards (direction == "reverse")
  bool batch_major = false;                // layout 1: X (batch, seq, input), Y (batch, seq, dirs, hidden)
  float clip = 0;                          // pre-activations are clamped to [-clip, clip]; 0: no clipping
  bool linear_before_reset = false;        // GRU
  bool input_forget = false;               // LSTM: f = 1 - i
  std::vector<RnnActivation> activations;  // rnn_activation_count(cell) per direction
};

// Pointers follow ONNX's shapes (layout 0 shown; batch_major swaps the first two dims of X, Y,
// initial and final states):
//   x (seq, batch, input), w (dirs, gates*hidden, input), r (dirs, gates*hidden, hidden),
//   b (dirs, 2*gates*hidden) or null, seq_lens (batch) or null, initial_h / initial_c
//   (dirs, batch, hidden) or null, peephole (dirs, 3*hidden) or null,
//   y (seq, dirs, batch, hidden), y_h / y_c (dirs, batch, hidden): each may be null.
// Steps past a batch entry's sequence length give zeros in y; y_h and y_c hold the state after
// its last valid step. T is float or double.
template <typename T>
void rnn_sequence(const RnnProblem& p, const T* x, const T* w, const T* r, const T* b, const int32_t* seq_lens,
                  const T* initial_h, const T* initial_c, const T* peephole, T* y, T* y_h, T* y_c, ThreadPool* pool);

}  // namespace lre::cpu
