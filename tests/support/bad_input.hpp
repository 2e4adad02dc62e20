#pragma once
// Assertions for bad-input tests: the call ends in the expected typed xgrad error, whose message
// names the op and the values, and it returns within a second (no hang, whatever the input).

#include <xgrad/error.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>

namespace xgrad::testing {

// Seconds taken by f().
template <typename F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// f() throws exactly an E (or a subclass) whose message contains every one of `parts`, within 1 s.
template <typename E, typename F>
void expect_error(F&& f, std::initializer_list<std::string_view> parts) {
  std::string what;
  bool thrown = false;
  const double t = seconds([&] {
    try {
      f();
    } catch (const E& e) {
      thrown = true;
      what = e.what();
    }
  });
  BOOST_TEST_INFO("message: " << what);
  BOOST_REQUIRE_MESSAGE(thrown, "expected an exception");
  for (auto p : parts) {
    BOOST_TEST_INFO("message: " << what);
    BOOST_TEST_INFO("missing: " << p);
    BOOST_CHECK(what.find(p) != std::string::npos);
  }
  BOOST_TEST(t < 1.0);
}

// f() returns within a second.
template <typename F>
void expect_fast(F&& f) {
  BOOST_TEST(seconds(std::forward<F>(f)) < 1.0);
}

}  // namespace xgrad::testing
