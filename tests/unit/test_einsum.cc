// Einsum against hand-written float64 loops: matmul, batched matmul, diagonals and traces,
// implicit output order, ellipsis broadcasting, three operands, and malformed equations.
#include "op_test_util.h"

namespace lre::test {

namespace {

std::vector<Tensor> run_einsum(const std::string& eq, const std::vector<Tensor>& ins) {
  OpTest t("Einsum", 12);
  for (size_t i = 0; i < ins.size(); ++i) {
    std::string name = "x";  // appended, not "x" + ...: g++ 12 warns falsely (-Wrestrict) on that
    name += std::to_string(i);
    t.input(name, ins[i]);
  }
  return t.output("y").attr("equation", eq).run();
}

}  // namespace

TEST(Einsum, MatmulBatchedAndImplicit) {
  Tensor a = random_tensor(DType::Float32, {3, 5, 7}, 1), b = random_tensor(DType::Float32, {3, 7, 4}, 2);
  std::vector<double> av = to_doubles(a), bv = to_doubles(b), want;
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 4; ++j) {
        double s = 0;
        for (int64_t k = 0; k < 7; ++k) s += av[(n * 5 + i) * 7 + k] * bv[(n * 7 + k) * 4 + j];
        want.push_back(s);
      }
  auto out = run_einsum("bik,bkj->bij", {a, b});
  ASSERT_EQ(out[0].shape(), (Shape{3, 5, 4}));
  expect_close(out[0], want);
  auto ell = run_einsum("...ik, ...kj", {a, b});  // implicit: ellipsis first, then i, j
  ASSERT_EQ(ell[0].shape(), (Shape{3, 5, 4}));
  expect_close(ell[0], want);
  // Implicit output sorts the free labels, so "ji" is a transpose to (i, j).
  Tensor m = random_tensor(DType::Float32, {5, 7}, 3);
  auto tr = run_einsum("ji", {m});
  ASSERT_EQ(tr[0].shape(), (Shape{7, 5}));
  std::vector<double> mv = to_doubles(m), mt;
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 5; ++j) mt.push_back(mv[j * 7 + i]);
  expect_close(tr[0], mt, 0, 0);
}

TEST(Einsum, DiagonalsTracesAndSums) {
  Tensor a = random_tensor(DType::Float64, {2, 5, 5}, 4);
  std::vector<double> av = to_doubles(a), diag, trace(2, 0.0);
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t i = 0; i < 5; ++i) {
      diag.push_back(av[(n * 5 + i) * 5 + i]);
      trace[n] += av[(n * 5 + i) * 5 + i];
    }
  expect_close(run_einsum("bii->bi", {a})[0], diag, 0, 0);
  auto t = run_einsum("bii->b", {a});
  ASSERT_EQ(t[0].shape(), (Shape{2}));
  expect_close(t[0], trace, 1e-12);
  double total = 0;
  for (double v : av) total += v;
  auto s = run_einsum("bij->", {a});
  ASSERT_EQ(s[0].shape(), Shape{});
  expect_close(s[0], {total}, 1e-12);
}

TEST(Einsum, EllipsisBroadcastAndThreeOperands) {
  Tensor a = random_tensor(DType::Float32, {2, 1, 3, 5}, 5), v = random_tensor(DType::Float32, {4, 1, 5}, 6);
  auto out = run_einsum("...j,...j->...", {a, v});  // batch dims (2,1,3) and (4,1) broadcast to (2,4,3)
  ASSERT_EQ(out[0].shape(), (Shape{2, 4, 3}));
  std::vector<double> av = to_doubles(a), vv = to_doubles(v), want;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t k = 0; k < 4; ++k)
      for (int64_t r = 0; r < 3; ++r) {
        double s = 0;
        for (int64_t j = 0; j < 5; ++j) s += av[(i * 3 + r) * 5 + j] * vv[k * 5 + j];
        want.push_back(s);
      }
  expect_close(out[0], want);

  Tensor x = random_tensor(DType::Int64, {3, 4}, 7, -5, 5), y = random_tensor(DType::Int64, {4, 5}, 8, -5, 5),
         z = random_tensor(DType::Int64, {5, 2}, 9, -5, 5);
  auto chain = run_einsum("ij,jk,kl->li", {x, y, z});
  ASSERT_EQ(chain[0].shape(), (Shape{2, 3}));
  std::vector<double> xv = to_doubles(x), yv = to_doubles(y), zv = to_doubles(z), cw;
  for (int64_t l = 0; l < 2; ++l)
    for (int64_t i = 0; i < 3; ++i) {
      double s = 0;
      for (int64_t j = 0; j < 4; ++j)
        for (int64_t k = 0; k < 5; ++k) s += xv[i * 4 + j] * yv[j * 5 + k] * zv[k * 2 + l];
      cw.push_back(s);
    }
  expect_close(chain[0], cw, 0, 0);
}

TEST(Einsum, RejectsMalformedEquations) {
  Tensor a = random_tensor(DType::Float32, {3, 4}, 1), b = random_tensor(DType::Float32, {5, 6}, 2);
  EXPECT_THROW(run_einsum("ij,jk->ik", {a, b}), Error);  // j is 4 and 5
  EXPECT_THROW(run_einsum("ij,jk->ik", {a}), Error);     // one operand short
  EXPECT_THROW(run_einsum("ijk->i", {a}), Error);        // rank mismatch
  EXPECT_THROW(run_einsum("i1->i", {a}), Error);         // bad character
  EXPECT_THROW(run_einsum("ij->iz", {a}), Error);        // output label not in inputs
  EXPECT_THROW(run_einsum("ij->ii", {a}), Error);        // repeated output label
  EXPECT_THROW(run_einsum("i..j->i", {a}), Error);       // malformed ellipsis
}

}  // namespace lre::test
