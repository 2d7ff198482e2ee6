// Test helpers: build a one-node ONNX model with the protobuf API, run it through the engine, and
// compare with references computed in the test (float64 loops, hand-checked values).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "lre/engine.h"
#include "model_builder.h"

namespace lre::test {

// Uniform values in [lo, hi) (rounded for integer dtypes); never all zero for float dtypes.
inline Tensor random_tensor(DType dtype, Shape shape, unsigned seed, double lo = -1.0, double hi = 1.0) {
  Tensor t(dtype, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  dispatch_dtype(dtype, [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      double v = dist(rng);
      if constexpr (std::is_same_v<T, bool>) p[i] = v > (lo + hi) / 2;
      else if constexpr (std::is_integral_v<T>) p[i] = static_cast<T>(std::floor(v));
      else p[i] = static_cast<T>(static_cast<compute_t<T>>(v));
    }
  });
  return t;
}

template <typename T>
Tensor make_tensor(Shape shape, const std::vector<T>& values) {
  Tensor t(DTypeOf<T>::value, std::move(shape));
  EXPECT_EQ(static_cast<size_t>(t.numel()), values.size());
  for (size_t i = 0; i < values.size(); ++i) t.data<T>()[i] = values[i];
  return t;
}

// Elements as double, whatever the dtype.
inline std::vector<double> to_doubles(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  dispatch_dtype(t.dtype(), [&]<typename T>() {
    for (int64_t i = 0; i < t.numel(); ++i) out[static_cast<size_t>(i)] = static_cast<double>(static_cast<compute_t<T>>(t.data<T>()[i]));
  });
  return out;
}

inline void expect_close(const Tensor& got, const std::vector<double>& want, double rtol = 1e-5, double atol = 1e-6) {
  ASSERT_EQ(static_cast<size_t>(got.numel()), want.size());
  std::vector<double> g = to_doubles(got);
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << "index " << i;
      continue;
    }
    ASSERT_NEAR(g[i], want[i], atol + rtol * std::fabs(want[i])) << "index " << i;
  }
}

// A one-node model: inputs are graph inputs (fed at run) or initializers (constant inputs).
class OpTest {
 public:
  explicit OpTest(std::string op_type, int opset = 17, std::string domain = "")
      : builder_(opset, "test_" + op_type), node_(builder_.node(op_type, {}, {}, domain)) {
    if (!domain.empty()) {
      auto* op = builder_.proto().add_opset_import();
      op->set_domain(domain);
      op->set_version(1);
    }
  }

  OpTest& input(const std::string& name, Tensor value) {
    node_->add_input(name);
    std::vector<ModelBuilder::DimSpec> dims(value.shape().begin(), value.shape().end());
    builder_.input(name, value.dtype(), dims);
    feeds_.emplace_back(name, std::move(value));
    return *this;
  }
  OpTest& constant_input(const std::string& name, const Tensor& value) {
    node_->add_input(name);
    builder_.initializer(name, value);
    return *this;
  }
  OpTest& omitted_input() {
    node_->add_input("");
    return *this;
  }
  OpTest& output(const std::string& name) {
    node_->add_output(name);
    if (!name.empty()) builder_.output(name);
    return *this;
  }
  OpTest& attr(const std::string& name, int64_t v) { set_attr(node_, name, v); return *this; }
  OpTest& attr(const std::string& name, int v) { set_attr(node_, name, static_cast<int64_t>(v)); return *this; }
  OpTest& attr(const std::string& name, float v) { set_attr(node_, name, v); return *this; }
  OpTest& attr(const std::string& name, const std::string& v) { set_attr(node_, name, v); return *this; }
  OpTest& attr(const std::string& name, const char* v) { set_attr(node_, name, std::string(v)); return *this; }
  OpTest& attr(const std::string& name, const std::vector<int64_t>& v) { set_attr(node_, name, v); return *this; }
  OpTest& attr(const std::string& name, const std::vector<float>& v) { set_attr(node_, name, v); return *this; }

  std::shared_ptr<const Engine> engine(bool optimize = true) const {
    EngineOptions options;
    options.check_model = false;  // outputs carry no declared types
    options.optimize = optimize;
    return Engine::load_from_memory(builder_.bytes(), options, ".", "test_model");
  }
  // Runs with 3 threads so that parallel code paths are exercised.
  std::vector<Tensor> run(int threads = 3) const {
    ExecutionContext ctx(engine(), {.threads = threads});
    return ctx.run(feeds_);
  }

 private:
  ModelBuilder builder_;
  onnx::NodeProto* node_;
  NamedTensors feeds_;
};

}  // namespace lre::test
