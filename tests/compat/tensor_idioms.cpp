// A LibTorch program exercising the Tensor idioms of issue 9 (item 3): Scalar arguments and
// type promotion of every arithmetic method and operator, untyped item(), Variable, resize_,
// set_data, random_, untyped data_ptr(), to(TensorOptions), tensor(ArrayRef / std::vector),
// in-place methods on const handles, mixed literals, views made under NoGradGuard and
// backward's arguments. Written once against compat.hpp (xg:: = torch:: or xgrad::); its
// LibTorch 1.13 output is stored beside it (tensor_idioms.libtorch.txt) and the compat test
// compares the xgrad build's output with it. Errors print only "error" (the messages differ).
#include "compat.hpp"

#include <cstdio>
#include <functional>
#include <vector>

#ifdef XG_USE_TORCH
using XgError = c10::Error;
#else
using XgError = xgrad::Error;
#endif

namespace {

const char* dtype_of(const xg::Tensor& t) {
  const auto d = t.scalar_type();
  if (d == xg::kFloat) return "float32";
  if (d == xg::kDouble) return "float64";
  if (d == xg::kLong) return "int64";
  if (d == xg::kBool) return "bool";
  return "other";
}

void show(const char* what, const xg::Tensor& t) {
  std::printf("%s: %s [", what, dtype_of(t));
  const auto c = t.detach().contiguous().to(xg::kDouble).reshape({-1});
  for (int64_t i = 0; i < c.numel(); ++i) std::printf("%s%.9g", i ? ", " : "", c[i].item<double>());
  std::printf("]%s\n", t.requires_grad() ? " requires_grad" : "");
}

void show_scalar(const char* what, const xg::Scalar& s) {
  std::printf("%s: floating %d integral %d integral+bool %d boolean %d double %.9g\n", what, s.isFloatingPoint(),
              s.isIntegral(false), s.isIntegral(true), s.isBoolean(), s.toDouble());
}

void expect_error(const char* what, const std::function<void()>& f) {
  try {
    f();
    std::printf("%s: no error\n", what);
  } catch (const XgError&) {
    std::printf("%s: error\n", what);
  }
}

}  // namespace

int main() {
  // ---- Scalar -----------------------------------------------------------------------------------
  xg::Scalar sd = 2.5, si = 3, sb = true, sf = 1.5f, sl = int64_t{-7};
  show_scalar("Scalar(2.5)", sd);
  show_scalar("Scalar(3)", si);
  show_scalar("Scalar(true)", sb);
  show_scalar("Scalar(1.5f)", sf);
  show_scalar("Scalar(int64 -7)", sl);
  std::printf("to: %lld %d %.9g %.9g %d %d %d\n", static_cast<long long>(sd.toLong()), sd.toInt(), si.toDouble(),
              static_cast<double>(sd.toFloat()), sb.toBool(), sd.to<int>(), static_cast<int>(si.to<int64_t>()));
  std::printf("to<double> %.9g to<float> %.9g to<bool> %d\n", sl.to<double>(), static_cast<double>(sd.to<float>()),
              si.to<bool>());

  // ---- integral tensor and Scalars -----------------------------------------------------------------
  const auto i = xg::tensor({1, 2, 3});
  show("i.mul(2)", i.mul(2));
  show("i * 2.5", i * 2.5);
  show("2 * i", 2 * i);
  show("i.add(1)", i.add(1));
  show("i + 1.5", i + 1.5);
  show("i.add(i, 2)", i.add(i, /*alpha=*/2));
  show("i.sub(i, 2)", i.sub(i, 2));
  show("i.sub(1)", i.sub(1));
  show("i - 0.5", i - 0.5);
  show("2 - i", 2 - i);
  show("2.5 - i", 2.5 - i);
  show("i.div(2)", i.div(2));
  show("i / 2", i / 2);
  show("i.pow(2)", i.pow(2));
  show("i.pow(2.0)", i.pow(2.0));
  show("i.pow(0)", i.pow(0));
  show("i.clamp(0, 2)", i.clamp(0, 2));
  show("i.clamp(1.5, 2)", i.clamp(1.5, 2));
  show("i.eq(2)", i.eq(2));
  show("i == 2.5", i == 2.5);
  show("i > 1", i > 1);
  show("i.ne(2)", i.ne(2));
  show("i.le(2.0)", i.le(2.0));
  show("i.ge(true)", i.ge(true));
  show("big == 2^24", xg::tensor({int64_t{16777217}}) == 16777216.0);
  show("big == int", xg::tensor({int64_t{16777217}}) == int64_t{16777216});
  expect_error("i.add(i, 1.5)", [&] { i.add(i, 1.5); });
  expect_error("i.pow(-1)", [&] { i.pow(-1); });
  expect_error("1 / i", [&] { (void)(1 / i); });

  // ---- floating tensors -----------------------------------------------------------------------------
  const auto f = xg::tensor({0.5, 1.5, -2.25});
  show("f.mul(2)", f.mul(2));
  show("f * 0.1", f * 0.1);
  show("f + 1e-3", f + 1e-3);
  show("f.add(f, 0.3)", f.add(f, 0.3));
  show("f.add(1, 2)", f.add(1, 2));
  show("f.sub(f, 0.5)", f.sub(f, 0.5));
  show("f.div(3)", f.div(3));
  show("f / 0.7", f / 0.7);
  show("3 / f", 3 / f);
  show("2 - f", 2 - f);
  show("0.1 + f", 0.1 + f);
  show("f.pow(2)", f.pow(2));
  show("f.pow(3)", f.pow(3));
  show("f.pow(0.5)", f.pow(0.5));
  show("f.clamp(-1, 1)", f.clamp(-1, 1));
  show("f.clamp(0.7)", f.clamp(0.7));
  show("f.eq(1.5)", f.eq(1.5));
  show("f == 0.1", xg::tensor({0.1f}) == 0.1);
  show("f.lt(0)", f.lt(0));
  const auto d = xg::tensor({0.1, 0.2}, xg::kDouble);
  show("d * 3", d * 3);
  show("d + 0.1", d + 0.1);
  show("d.div(3)", d.div(3));

  // ---- bool tensors ---------------------------------------------------------------------------------
  const auto b = xg::tensor({true, false});
  show("b + 1", b + 1);
  show("b * true", b * true);
  show("b.add(b, 2)", b.add(b, 2));
  show("b == 1", b == 1);
  show("b == 0.5", b == 0.5);
  show("b * 1.5", b * 1.5);
  expect_error("b - 1", [&] { (void)(b - 1); });

  // ---- in-place with Scalars ------------------------------------------------------------------------
  auto i2 = i.clone();
  i2.mul_(2);
  i2.add_(1);
  i2.add_(i, /*alpha=*/2);
  i2.sub_(1);
  i2.sub_(i, 3);
  show("i2", i2);
  expect_error("i2.add_(1.5)", [&] { i2.add_(1.5); });
  expect_error("i2.div_(2)", [&] { i2.div_(2); });
  expect_error("i2.mul_(f)", [&] { i2.mul_(f); });
  i2.fill_(2.7);
  show("i2.fill_(2.7)", i2);
  auto f2 = f.clone();
  f2.fill_(xg::Scalar(3));
  f2.add_(0.25).mul_(2).div_(4).sub_(0.5);
  show("f2", f2);
  f2.clamp_(0.1, 1);
  show("f2.clamp_(0.1, 1)", f2);
  auto b2 = b.clone();
  b2.add_(true);
  show("b2.add_(true)", b2);
  i2 += 1;
  i2 *= 3;
  i2 -= 2;
  show("i2 += 1 *= 3 -= 2", i2);
  f2 /= 2;
  show("f2 /= 2", f2);

  // ---- const handles --------------------------------------------------------------------------------
  auto w = xg::ones({3}, xg::requires_grad());
  (w * w).sum().backward();
  show("w.grad()", w.grad());
  w.grad().zero_();
  show("w.grad().zero_()", w.grad());
  const xg::Tensor& cref = f2;
  cref.add_(1);
  cref.mul_(xg::tensor({1.0, 2.0, 3.0}));
  show("const add_/mul_", f2);

  // ---- item ---------------------------------------------------------------------------------------
  const xg::Scalar fs = f.sum().item();
  show_scalar("f.sum().item()", fs);
  std::printf("toFloat %.9g\n", static_cast<double>(fs.toFloat()));
  show_scalar("i.sum().item()", i.sum().item());
  show_scalar("b[0].item()", b[0].item());
  show_scalar("d[1].item()", d[1].item());
  std::printf("item<double> %.9g item<int64> %lld\n", f[1].item<double>(), static_cast<long long>(i[2].item<int64_t>()));
  expect_error("f.item()", [&] { f.item(); });

  // ---- Variable, data_ptr, to ---------------------------------------------------------------------------
  xg::autograd::Variable v = xg::ones({2}, xg::requires_grad());
  show("Variable", v * 2);
  void* p = f.data_ptr();
  std::printf("data_ptr untyped == typed: %d\n", p == static_cast<void*>(f.data_ptr<float>()));
  show("f.to(options kDouble)", f.to(xg::TensorOptions().dtype(xg::kDouble)));
  show("f.to(dtype(kLong))", f.to(xg::dtype(xg::kLong)));
  std::printf("to(options()) same: %d, to(TensorOptions()) same: %d, copy same: %d\n",
              f.to(f.options()).is_same(f), f.to(xg::TensorOptions()).is_same(f),
              f.to(f.options(), /*non_blocking=*/false, /*copy=*/true).is_same(f));
  std::printf("to(kFloat, false, true) same: %d\n", f.to(xg::kFloat, false, true).is_same(f));
  expect_error("to(requires_grad)", [&] { f.to(xg::TensorOptions().requires_grad(true)); });

  // ---- tensor from ArrayRef / std::vector ---------------------------------------------------------------
  std::vector<double> vd = {0.1, 0.2};
  std::vector<float> vf = {1.5f, 2.5f};
  std::vector<int64_t> vl = {4, 5};
  std::vector<int> vi = {6, 7};
  show("tensor(vector<double>)", xg::tensor(vd));
  show("tensor(vector<float>)", xg::tensor(vf));
  show("tensor(vector<int64_t>)", xg::tensor(vl));
  show("tensor(vector<int>)", xg::tensor(vi));
  show("tensor(ArrayRef<double>)", xg::tensor(xg::ArrayRef<double>(vd)));
  show("tensor(ArrayRef<int>)", xg::tensor(xg::ArrayRef<int>(vi)));
  show("tensor(vector<double>, kDouble)", xg::tensor(vd, xg::kDouble));
  expect_error("tensor({1, 2.0})", [] { xg::tensor({1, 2.0}); });
  expect_error("tensor({true, 1})", [] { xg::tensor({true, 1}); });
  expect_error("tensor({1.0f, 2.0})", [] { xg::tensor({1.0f, 2.0}); });
  expect_error("tensor({{1, 2}, {3.0, 4.0}})", [] { xg::tensor({{1, 2}, {3.0, 4.0}}); });
  show("tensor({{1., 2.}, {3., 4.}})", xg::tensor({{1., 2.}, {3., 4.}}));

  // ---- resize_ and set_data ------------------------------------------------------------------------------
  auto r = xg::arange(6);
  auto rv = r.view({2, 3});
  r.resize_({2, 2});
  show("resize_ smaller", r);
  r.resize_({3, 3});
  show("resize_ larger (first 6)", r.reshape({-1}).slice(0, 0, 6));
  std::printf("sizes %lld %lld, view shares storage: %d\n", static_cast<long long>(r.size(0)),
              static_cast<long long>(r.size(1)), rv.data_ptr() == r.data_ptr());
  rv.fill_(9);
  show("after fill of old view", r.reshape({-1}).slice(0, 0, 6));
  expect_error("resize_ requires_grad", [&] { w.resize_({2}); });
  auto sx = xg::ones({2}, xg::requires_grad());
  auto sy = xg::tensor({4.0, 5.0, 6.0});
  sx.set_data(sy);
  show("set_data", sx);
  std::printf("set_data shares: %d, leaf %d\n", sx.data_ptr() == sy.data_ptr(), sx.is_leaf());
  (sx * sx).sum().backward();
  show("grad after set_data", sx.grad());

  // ---- random_ ------------------------------------------------------------------------------------------
  xg::manual_seed(0);
  show("random_(10) int64", xg::empty({6}, xg::kLong).random_(10));
  show("random_(-5, 5) float", xg::empty({4}).random_(-5, 5));
  show("random_() float", xg::empty({3}).random_());
  show("random_() double", xg::empty({3}, xg::kDouble).random_());
  show("random_() int64", xg::empty({3}, xg::kLong).random_());
  show("random_() bool", xg::empty({5}, xg::kBool).random_());
  show("random_(3) transposed", xg::empty({3, 2}).t().random_(3));

  // ---- NoGradGuard views ----------------------------------------------------------------------------------
  auto x = xg::ones({3}, xg::requires_grad());
  xg::Tensor view, sel, det;
  {
    xg::NoGradGuard guard;
    view = x[0];
    sel = x.index_select(0, xg::tensor({int64_t{0}}));
    det = x.detach();
    std::printf("no_grad view requires_grad %d leaf %d; index_select %d; detach %d; x*2 %d\n", view.requires_grad(),
                view.is_leaf(), sel.requires_grad(), det.requires_grad(), (x * 2).requires_grad());
    std::printf("transpose %d unsqueeze %d narrow %d reshape %d\n", x.unsqueeze(0).t().requires_grad(),
                x.unsqueeze(0).requires_grad(), x.narrow(0, 0, 2).requires_grad(), x.reshape({3, 1}).requires_grad());
  }
  expect_error("in-place on no_grad view", [&] { view.mul_(2); });
  (view * 2).backward();
  std::printf("after backward through the view: x.grad defined %d, view.grad defined %d\n", x.grad().defined(),
              view.grad().defined());
  {
    xg::NoGradGuard guard;
    view.mul_(5);
  }
  show("x after no-grad in-place on view", x);

  // ---- backward arguments ---------------------------------------------------------------------------------
  auto a = xg::tensor({1.0, 2.0}, xg::requires_grad());
  auto c = xg::tensor({3.0, 4.0}, xg::requires_grad());
  auto y = (a * c).sum();
  y.backward({}, /*retain_graph=*/true, /*create_graph=*/false, std::vector<xg::Tensor>{a});
  std::printf("inputs={a}: a.grad defined %d, c.grad defined %d\n", a.grad().defined(), c.grad().defined());
  show("a.grad", a.grad());
  y.backward(xg::tensor(2.0), true);
  show("a.grad after second backward", a.grad());
  show("c.grad", c.grad());
  auto z = (a * a * a).sum();
  z.backward({}, true, /*create_graph=*/true);
  show("a.grad create_graph", a.grad());
  a.mutable_grad() = xg::Tensor();  // break the grad <-> graph cycle create_graph made
  return 0;
}
