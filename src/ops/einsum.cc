// Einsum: parses the equation (explicit or implicit output, repeated labels for diagonals, "..."
// for broadcast dimensions) into per-operand strides, then runs one generic contraction.
// Half types contract in float32.
#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "kernels/cpu/einsum.h"
#include "ops/kernel.h"
#include "ops/op_util.h"

namespace lre {

namespace {

// Labels are letters by character code; the broadcast ("...") dimensions get codes from
// kEllipsisLabel upwards, left to right, so that they sort before nothing and never clash.
constexpr int kEllipsisLabel = 1000;

struct Term {
  std::vector<int> labels;  // one per dimension, ellipsis already expanded
};

struct ParsedEquation {
  std::vector<std::string> inputs;  // the subscripts of each operand, as written
  std::string output;
  bool explicit_output = false;
};

ParsedEquation split_equation(const std::string& equation) {
  ParsedEquation p;
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq += c;
  std::string lhs = eq;
  if (size_t arrow = eq.find("->"); arrow != std::string::npos) {
    lhs = eq.substr(0, arrow);
    p.output = eq.substr(arrow + 2);
    p.explicit_output = true;
  }
  size_t start = 0;
  for (;;) {
    size_t comma = lhs.find(',', start);
    p.inputs.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return p;
}

// Letters of `subscripts` and where "..." stands (-1 when absent); fails on anything else.
std::vector<int> parse_letters(const std::string& subscripts, int& ellipsis_at, const std::string& equation) {
  std::vector<int> letters;
  ellipsis_at = -1;
  for (size_t i = 0; i < subscripts.size(); ++i) {
    char c = subscripts[i];
    if (c == '.') {
      if (ellipsis_at >= 0 || subscripts.compare(i, 3, "...") != 0)
        fail("Einsum: equation '" + equation + "' has a malformed or repeated '...' in '" + subscripts + "'");
      ellipsis_at = static_cast<int>(letters.size());
      i += 2;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      letters.push_back(c);
    } else {
      fail("Einsum: equation '" + equation + "' has an invalid character '" + std::string(1, c) + "'");
    }
  }
  return letters;
}

struct Contraction {
  cpu::EinsumPlan plan;
  Shape out_shape;
};

Contraction plan_einsum(const std::string& equation, std::span<const Tensor* const> in) {
  ParsedEquation eq = split_equation(equation);
  if (eq.inputs.size() != in.size())
    fail("Einsum: equation '" + equation + "' names " + std::to_string(eq.inputs.size()) + " operands, got " +
         std::to_string(in.size()) + " inputs");
  // Expand each operand's subscripts; the broadcast dims align from the right across operands.
  std::vector<std::vector<int>> letters(in.size());
  std::vector<int> ell_at(in.size());
  int64_t ell_rank = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    letters[i] = parse_letters(eq.inputs[i], ell_at[i], equation);
    int64_t extra = static_cast<int64_t>(in[i]->rank()) - static_cast<int64_t>(letters[i].size());
    if (extra < 0 || (ell_at[i] < 0 && extra != 0))
      fail("Einsum: operand " + std::to_string(i) + " of shape " + shape_to_string(in[i]->shape()) +
           " does not match subscripts '" + eq.inputs[i] + "' of equation '" + equation + "'");
    ell_rank = std::max(ell_rank, extra);
  }
  std::vector<Term> terms(in.size());
  std::map<int, int64_t> size_of;
  std::map<int, int> count_of;
  for (size_t i = 0; i < in.size(); ++i) {
    int64_t extra = static_cast<int64_t>(in[i]->rank()) - static_cast<int64_t>(letters[i].size());
    for (size_t j = 0; j <= letters[i].size(); ++j) {
      if (static_cast<int>(j) == ell_at[i])
        for (int64_t e = 0; e < extra; ++e) terms[i].labels.push_back(kEllipsisLabel + static_cast<int>(ell_rank - extra + e));
      if (j < letters[i].size()) terms[i].labels.push_back(letters[i][j]);
    }
    for (size_t d = 0; d < terms[i].labels.size(); ++d) {
      int label = terms[i].labels[d];
      int64_t size = in[i]->dim(d);
      auto [it, fresh] = size_of.emplace(label, size);
      ++count_of[label];
      if (fresh || it->second == size) continue;
      if (label >= kEllipsisLabel && (size == 1 || it->second == 1)) {
        it->second = std::max(it->second, size);
        continue;
      }
      fail("Einsum: label '" + (label < kEllipsisLabel ? std::string(1, static_cast<char>(label)) : std::string("...")) +
           "' has sizes " + std::to_string(it->second) + " and " + std::to_string(size) + " in equation '" + equation + "'");
    }
  }

  std::vector<int> out_labels;
  if (eq.explicit_output) {
    int at = -1;
    std::vector<int> out_letters = parse_letters(eq.output, at, equation);
    for (size_t j = 0; j <= out_letters.size(); ++j) {
      if (static_cast<int>(j) == at)
        for (int64_t e = 0; e < ell_rank; ++e) out_labels.push_back(kEllipsisLabel + static_cast<int>(e));
      if (j < out_letters.size()) {
        int label = out_letters[j];
        if (!size_of.count(label))
          fail("Einsum: output label '" + std::string(1, static_cast<char>(label)) + "' of equation '" + equation +
               "' appears in no input");
        if (std::count(out_letters.begin(), out_letters.end(), label) > 1)
          fail("Einsum: output label '" + std::string(1, static_cast<char>(label)) + "' repeats in '" + equation + "'");
        out_labels.push_back(label);
      }
    }
  } else {
    // Implicit: the broadcast dims, then the labels seen exactly once, in alphabetical order.
    for (int64_t e = 0; e < ell_rank; ++e) out_labels.push_back(kEllipsisLabel + static_cast<int>(e));
    for (const auto& [label, count] : count_of)
      if (label < kEllipsisLabel && count == 1) out_labels.push_back(label);
  }

  Contraction c;
  std::vector<int> sum_labels;
  for (const auto& [label, size] : size_of)
    if (std::find(out_labels.begin(), out_labels.end(), label) == out_labels.end()) sum_labels.push_back(label);
  for (int label : out_labels) {
    c.plan.out_dims.push_back(size_of[label]);
    c.out_shape.push_back(size_of[label]);
  }
  for (int label : sum_labels) c.plan.sum_dims.push_back(size_of[label]);
  for (size_t i = 0; i < in.size(); ++i) {
    std::vector<int64_t> st = strides_of(in[i]->shape());
    auto stride_for = [&](int label) {
      int64_t s = 0;
      for (size_t d = 0; d < terms[i].labels.size(); ++d)
        if (terms[i].labels[d] == label && in[i]->dim(d) != 1) s += st[d];
      return s;
    };
    std::vector<int64_t> os, ss;
    for (int label : out_labels) os.push_back(stride_for(label));
    for (int label : sum_labels) ss.push_back(stride_for(label));
    c.plan.out_strides.push_back(std::move(os));
    c.plan.sum_strides.push_back(std::move(ss));
  }
  return c;
}

class EinsumKernel final : public Kernel {
 public:
  explicit EinsumKernel(const KernelInit& init) : equation_(init.node.attrs.get_string("equation", "")) {
    if (equation_.empty()) fail("Einsum needs the equation attribute");
  }

  std::vector<TensorDesc> infer(std::span<const Tensor* const> in) const override {
    if (in.empty()) fail("Einsum needs at least one input");
    for (size_t i = 0; i < in.size(); ++i) {
      if (!in[i]) fail("Einsum: input " + std::to_string(i) + " is missing");
      if (in[i]->dtype() != in[0]->dtype()) fail("Einsum: all inputs must share one dtype");
    }
    check_dtype(in[0]->dtype());
    return {{in[0]->dtype(), plan_einsum(equation_, in).out_shape}};
  }

  void compute(KernelContext& ctx) const override {
    Contraction c = plan_einsum(equation_, ctx.inputs);
    Tensor& y = ctx.out(0);
    if (y.numel() == 0) return;
    for (size_t i = 0; i < ctx.inputs.size(); ++i)
      if (ctx.in(i).numel() == 0) {
        // An empty summed dimension: every output is an empty sum.
        std::memset(y.raw(), 0, y.nbytes());
        return;
      }
    dispatch_numeric(y.dtype(), "Einsum", [&]<typename T>() {
      if constexpr (std::is_same_v<compute_t<T>, float> && !std::is_same_v<T, float>) {
        std::vector<std::vector<float>> buffers;
        std::vector<const float*> ptrs;
        for (size_t i = 0; i < ctx.inputs.size(); ++i) {
          const Tensor& t = ctx.in(i);
          buffers.emplace_back(t.data<T>(), t.data<T>() + t.numel());
          ptrs.push_back(buffers.back().data());
        }
        std::vector<float> yf(static_cast<size_t>(y.numel()));
        cpu::einsum_contract<float>(ptrs, c.plan, yf.data(), &ctx.pool);
        for (int64_t i = 0; i < y.numel(); ++i) y.data<T>()[i] = T(yf[i]);
      } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t> ||
                           std::is_same_v<T, int64_t> || std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>) {
        std::vector<const T*> ptrs;
        for (size_t i = 0; i < ctx.inputs.size(); ++i) ptrs.push_back(ctx.in(i).data<T>());
        cpu::einsum_contract<T>(ptrs, c.plan, y.data<T>(), &ctx.pool);
      } else {
        throw_unsupported_dtype(y.dtype(), "Einsum");
      }
    });
  }

 private:
  static void check_dtype(DType t) {
    switch (t) {
      case DType::Float32: case DType::Float16: case DType::BFloat16: case DType::Float64:
      case DType::Int32: case DType::Int64: case DType::UInt32: case DType::UInt64: return;
      default: throw_unsupported_dtype(t, "Einsum");
    }
  }

  std::string equation_;
};

}  // namespace

LRE_CPU_KERNEL(Einsum, EinsumKernel);

}  // namespace lre
