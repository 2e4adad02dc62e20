// Skeleton of the bad-input registry (issue 11, item 7): one table of public functions, each with
// at least one bad input, asserting the exception type and that the message names the function;
// and a coverage check that fails when a public function declared in a covered header has no
// entry. Item 7 grows `kCoveredHeaders` to every public header and the table with it; the
// coverage check then holds the whole API to the rule.
#define BOOST_TEST_MODULE core_bad_input_registry
#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include "support/bad_input.hpp"

#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace xgrad;

namespace {

enum class Kind { kShape, kValue, kType, kIndex, kIO, kNone };

struct Entry {
  std::string function;     // as declared in the header
  std::string op;           // what the message must name (usually the function)
  Kind kind;                // expected exception type (kNone: the function takes no input)
  std::function<void()> call;
  std::string why_none;     // for kNone: why there is no bad input
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      // include/xgrad/factory.hpp
      {"tensor", "tensor", Kind::kValue, [] { tensor({{1.0, 2.0}, {3.0}}); }, ""},  // ragged, as torch's ValueError
      {"tensor", "tensor", Kind::kValue, [] { tensor({1e300}, TensorOptions(kFloat32)); }, ""},
      {"eye", "eye", Kind::kValue, [] { eye(-1, 2); }, ""},
      // include/xgrad/random.hpp
      {"set_rng_state", "set_rng_state", Kind::kValue, [] { set_rng_state("not a state"); }, ""},
      {"get_rng_state", "", Kind::kNone, nullptr, "takes no input"},
      {"initial_seed", "", Kind::kNone, nullptr, "takes no input"},
      {"seed", "", Kind::kNone, nullptr, "takes no input"},
  };
  return entries;
}

// Headers whose every free function must have an entry (item 7 extends this to all of them).
const std::vector<std::string> kCoveredHeaders = {"include/xgrad/factory.hpp", "include/xgrad/random.hpp"};

// Free functions declared at namespace scope (unindented declarations) in `path`.
std::set<std::string> declared_functions(const std::string& path) {
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

template <typename E>
void expect(const Entry& e) {
  xgrad::testing::expect_error<E>(e.call, {e.op});
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_entry_throws_its_typed_error_naming_the_op) {
  for (const auto& e : registry()) {
    BOOST_TEST_CONTEXT("function " << e.function) {
      switch (e.kind) {
        case Kind::kShape: expect<ShapeError>(e); break;
        case Kind::kValue: expect<ValueError>(e); break;
        case Kind::kType: expect<TypeError>(e); break;
        case Kind::kIndex: expect<IndexError>(e); break;
        case Kind::kIO: expect<IOError>(e); break;
        case Kind::kNone: BOOST_TEST(!e.why_none.empty()); break;
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(every_function_of_a_covered_header_has_an_entry) {
  std::set<std::string> have;
  for (const auto& e : registry()) have.insert(e.function);
  for (const auto& header : kCoveredHeaders) {
    const auto declared = declared_functions(std::string(XGRAD_SOURCE_ROOT) + "/" + header);
    BOOST_TEST(!declared.empty(), header << " declares no function the scan can see");
    for (const auto& f : declared) BOOST_TEST(have.count(f) == 1, header << ": " << f << " has no bad-input entry");
  }
}
