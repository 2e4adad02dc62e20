// Skeleton of the bad-input registry (issue 11, item 7): one table of public functions, each with
// at least one bad input, asserting the exception type and that the message names the function;
// and a coverage check that fails when a public function declared in a covered header has no
// entry. Item 7 grows `kCoveredHeaders` to every public header and the table with it; the
// coverage check then holds the whole API to the rule.
#define BOOST_TEST_MODULE core_bad_input_registry
#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include "support/bad_input_registry.hpp"

#include <string>
#include <vector>

using namespace xgrad;

namespace {

using xgrad::testing::Entry;
using xgrad::testing::Kind;

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

}  // namespace

BOOST_AUTO_TEST_CASE(every_entry_throws_its_typed_error_naming_the_op) { xgrad::testing::run_registry(registry()); }

BOOST_AUTO_TEST_CASE(every_function_of_a_covered_header_has_an_entry) {
  for (const auto& header : kCoveredHeaders)
    xgrad::testing::check_coverage(registry(),
                                   xgrad::testing::declared_functions(std::string(XGRAD_SOURCE_ROOT) + "/" + header),
                                   header);
}
