#pragma once
// Shared assertions for the Boost.Test suites: compare tensors with reference values (from
// PyTorch or worked by hand) element by element, with a message naming the first mismatch.

#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace xgrad::testing {

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
