// Tests of src/core/warning.cpp: the handler, once-per-call-site printing, warnings as errors.
#define BOOST_TEST_MODULE core_warning
#include <boost/test/unit_test.hpp>

#include <xgrad/xgrad.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace xgrad;

namespace {
struct Capture : WarningHandler {
  std::vector<std::string> seen;
  std::vector<uint32_t> lines;
  void process(const SourceLocation& loc, const std::string& msg, bool) override {
    seen.push_back(msg);
    lines.push_back(loc.line);
  }
};

void warn_here(int i) { XGRAD_WARN("test warning {}", i); }

// Runs fn with stderr redirected to a file; returns what was written.
template <typename F>
std::string capture_stderr(F&& fn) {
  char path[] = "/tmp/xgrad-warning-XXXXXX";
  const int fd = mkstemp(path);
  BOOST_TEST_REQUIRE(fd >= 0);
  std::fflush(stderr);
  const int saved = dup(2);
  dup2(fd, 2);
  fn();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(path);
  return ss.str();
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_handler_receives_every_warning_with_its_location) {
  Capture capture;
  {
    Warning::WarningHandlerGuard guard(&capture);
    for (int i = 0; i < 3; ++i) warn_here(i);
  }
  BOOST_TEST(capture.seen == (std::vector<std::string>{"test warning 0", "test warning 1", "test warning 2"}),
             boost::test_tools::per_element());
  BOOST_TEST(capture.lines.size() == 3u);
  BOOST_TEST(capture.lines[0] > 0u);
  // The guard restored the default handler.
  BOOST_TEST(Warning::get_warning_handler() != static_cast<WarningHandler*>(&capture));
}

BOOST_AUTO_TEST_CASE(the_default_handler_prints_once_per_call_site) {
  const std::string out = capture_stderr([] {
    for (int i = 0; i < 3; ++i) warn_here(10 + i);
  });
  BOOST_TEST(out.find("Warning: test warning 10 (warn_here at ") == 0u, out);
  BOOST_TEST(out.find("test warning 11") == std::string::npos, out);
  const std::string again = capture_stderr([] {
    Warning::set_warnAlways(true);
    warn_here(20);
    warn_here(21);
    Warning::set_warnAlways(false);
  });
  BOOST_TEST(again.find("test warning 20") != std::string::npos, again);
  BOOST_TEST(again.find("test warning 21") != std::string::npos, again);
}

BOOST_AUTO_TEST_CASE(warnings_as_errors_throw) {
  set_warnings_as_errors(true);
  BOOST_CHECK_EXCEPTION(warn_here(1), WarningError,
                        [](const WarningError& e) { return std::string(e.what()) == "test warning 1"; });
  set_warnings_as_errors(false);
  Capture capture;
  Warning::WarningHandlerGuard guard(&capture);
  warn_here(2);
  BOOST_TEST(capture.seen.size() == 1u);
}

// LibTorch warns when .grad() of a non-leaf is read without retain_grad().
BOOST_AUTO_TEST_CASE(grad_of_a_non_leaf_warns) {
  Capture capture;
  Warning::WarningHandlerGuard guard(&capture);
  auto x = ones({2}, requires_grad());
  auto y = x * 2.0;
  y.sum().backward();
  BOOST_TEST(capture.seen.empty());
  (void)x.grad();  // a leaf: no warning
  BOOST_TEST(capture.seen.empty());
  BOOST_TEST(!y.grad().defined());
  BOOST_TEST_REQUIRE(capture.seen.size() == 1u);
  BOOST_TEST(capture.seen[0].find("not a leaf") != std::string::npos, capture.seen[0]);
  BOOST_TEST(capture.seen[0].find("retain_grad()") != std::string::npos, capture.seen[0]);
  auto z = x * 3.0;
  z.retain_grad();
  z.sum().backward();
  BOOST_TEST(z.grad().defined());
  BOOST_TEST(capture.seen.size() == 1u);  // retained: no warning
}

namespace {
void warn_once_here(int i) { XGRAD_WARN_ONCE("once warning {}", i); }
}  // namespace

BOOST_AUTO_TEST_CASE(warn_once_warns_once_per_process_unless_warn_always) {
  Capture capture;
  Warning::WarningHandlerGuard guard(&capture);
  {
    // WarnAlways: every call reaches the handler; the previous setting comes back after.
    Warning::WarnAlways always(true);
    BOOST_TEST(Warning::get_warnAlways());
    warn_once_here(0);
    warn_once_here(1);
    {
      Warning::WarnAlways not_always(false);
      BOOST_TEST(!Warning::get_warnAlways());
    }
    BOOST_TEST(Warning::get_warnAlways());
  }
  BOOST_TEST(!Warning::get_warnAlways());
  // Without it: the first call from this site warns, later ones do not (the calls under
  // WarnAlways did not use up the once).
  warn_once_here(2);
  warn_once_here(3);
  BOOST_TEST(capture.seen == (std::vector<std::string>{"once warning 0", "once warning 1", "once warning 2"}),
             boost::test_tools::per_element());
}
