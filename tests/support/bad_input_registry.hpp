#pragma once
// The bad-input registry's machinery (issue 11, item 7), shared by tests/core/bad_input_registry.cpp
// (tensors, autograd, serialization, data, distributed) and tests/nn/bad_input_registry.cpp
// (functional ops, modules, init, optimizers): a table of public functions, each with at least
// one bad input, run by run_registry() (the exception type, and a message naming the op, within a
// second); and header scans whose names must all have an entry.

#include <xgrad/error.hpp>

#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"

#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace xgrad::testing {

enum class Kind { kShape, kValue, kType, kIndex, kIO, kAutograd, kDistributed, kNone };

struct Entry {
  std::string function;  // as declared in the header (a module: its holder's name)
  std::string op;        // what the message must name (usually the function)
  Kind kind;             // expected exception type (kNone: the function takes no input)
  std::function<void()> call;
  std::string why_none;  // for kNone: why there is no bad input
};

// Every entry throws its typed error naming its op, within a second.
inline void run_registry(const std::vector<Entry>& entries) {
  for (const auto& e : entries) {
    BOOST_TEST_CONTEXT("function " << e.function) {
      switch (e.kind) {
        case Kind::kShape: expect_error<ShapeError>(e.call, {e.op}); break;
        case Kind::kValue: expect_error<ValueError>(e.call, {e.op}); break;
        case Kind::kType: expect_error<TypeError>(e.call, {e.op}); break;
        case Kind::kIndex: expect_error<IndexError>(e.call, {e.op}); break;
        case Kind::kIO: expect_error<IOError>(e.call, {e.op}); break;
        case Kind::kAutograd: expect_error<AutogradError>(e.call, {e.op}); break;
        case Kind::kDistributed: expect_error<DistributedError>(e.call, {e.op}); break;
        case Kind::kNone: BOOST_TEST(!e.why_none.empty()); break;
      }
    }
  }
}

// Free functions declared at namespace scope (unindented declarations) in `path`.
inline std::set<std::string> declared_functions(const std::string& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  std::set<std::string> names;
  const std::regex decl(R"(^[A-Za-z_][A-Za-z0-9_:<>, ]*[ *&]([a-z_][a-z0-9_]*)\()");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.rfind("//", 0) == 0 || line.rfind("#", 0) == 0) continue;
    if (std::regex_search(line, m, decl) && m[1] != "operator") names.insert(m[1]);
  }
  return names;
}

// Every name in `declared` (found in `where`) has an entry.
inline void check_coverage(const std::vector<Entry>& entries, const std::set<std::string>& declared,
                           const std::string& where) {
  std::set<std::string> have;
  for (const auto& e : entries) have.insert(e.function);
  BOOST_TEST(!declared.empty(), where << " declares nothing the scan can see");
  for (const auto& f : declared) BOOST_TEST(have.count(f) == 1, where << ": " << f << " has no bad-input entry");
}

}  // namespace xgrad::testing
