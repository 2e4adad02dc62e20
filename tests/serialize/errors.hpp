#pragma once
// expect_error: runs `f`, requires an exception of type E whose message contains every part.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace xgrad::testing {

template <typename E, typename F>
std::string expect_error(F&& f, const std::vector<std::string>& parts) {
  std::string message;
  bool thrown = false;
  try {
    f();
  } catch (const E& e) {
    thrown = true;
    message = e.what();
  }
  BOOST_REQUIRE_MESSAGE(thrown, "expected an exception containing '" << (parts.empty() ? "" : parts[0]) << "'");
  for (const auto& p : parts)
    BOOST_CHECK_MESSAGE(message.find(p) != std::string::npos, "message \"" << message << "\" lacks \"" << p << "\"");
  return message;
}

}  // namespace xgrad::testing
