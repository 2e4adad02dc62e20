#pragma once
// Shared assertions for the Boost.Test suites: compare tensors with reference values (from
// PyTorch or worked by hand) element by element, with a message naming the first mismatch.

#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace xgrad::testing {

// What `f` throws as an xgrad::Error ("(no exception)" when it returns): for checking that a
// message names the op, the values and LibTorch's phrase.
inline std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no exception)";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }


// scale * sin(a * i + b) at row-major position i, computed in double and then converted to
// `dtype`: deterministic, sign-mixed test inputs that a reference script rebuilds exactly
// (tests/reference/statistics.py, sorting.py, scatter_gather.py define the same wave()).
inline Tensor wave(std::vector<int64_t> shape, double a, double b, double scale = 1.0, ScalarType dtype = kFloat32) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = scale * std::sin(a * static_cast<double>(i) + b);
  return from_vector(v, shape).to(dtype);
}

// x.grad of sum(f(x) * w) for x = wave({2, 3, 4}, 0.7, 0.1, 3.0) in float64 and w the fixed
// wave(.., 1.3, 0.4) of f(x)'s shape: one gradient that checks every output element's weight.
inline Tensor wave_weighted_grad(const std::function<Tensor(const Tensor&)>& f) {
  Tensor x = wave({2, 3, 4}, 0.7, 0.1, 3.0, kFloat64).requires_grad_();
  Tensor y = f(x);
  (y * wave(y.sizes().vec(), 1.3, 0.4, 1.0, kFloat64)).sum().backward();
  return x.grad();
}

inline void check_values(const Tensor& actual, const std::vector<double>& expected, double atol = 1e-5,
                         double rtol = 1e-5) {
  BOOST_REQUIRE(actual.defined());
  BOOST_REQUIRE_EQUAL(static_cast<size_t>(actual.numel()), expected.size());
  auto got = actual.to_vector<double>();
  for (size_t i = 0; i < expected.size(); ++i) {
    const bool same_nan = std::isnan(got[i]) && std::isnan(expected[i]);
    const bool ok = same_nan || std::abs(got[i] - expected[i]) <= atol + rtol * std::abs(expected[i]);
    BOOST_TEST_INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    BOOST_REQUIRE(ok);
  }
}

// t has exactly this dtype and these values.
inline void check_exact(const Tensor& t, ScalarType dtype, const std::vector<double>& values) {
  BOOST_TEST(dtype_name(t.dtype()) == dtype_name(dtype));
  check_values(t, values, 0.0, 0.0);
}

inline void check_sizes(const Tensor& t, const std::vector<int64_t>& sizes) {
  BOOST_REQUIRE(t.defined());
  BOOST_TEST(t.sizes().vec() == sizes, boost::test_tools::per_element());
}

inline void check_close(const Tensor& a, const Tensor& b, double atol = 1e-5, double rtol = 1e-5) {
  BOOST_REQUIRE(a.sizes() == b.sizes());
  check_values(a, b.to_vector<double>(), atol, rtol);
}

/// Runs a shell command; returns its exit status (as pclose gives it) and its output (stdout
/// and whatever the command redirects into it).
inline std::pair<int, std::string> run_command(const std::string& cmd) {
  FILE* pipe = ::popen(cmd.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  return {::pclose(pipe), out};
}

}  // namespace xgrad::testing
