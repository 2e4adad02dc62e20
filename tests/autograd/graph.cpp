#define BOOST_TEST_MODULE graph
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <regex>
#include <string>

using namespace xgrad;
using xgrad::testing::contains;
using autograd::make_dot;
using autograd::saved_tensors_stats;

namespace {


// The DOT id ("n3") of the node whose label starts with `label_start`.
std::string id_of(const std::string& dot, const std::string& label_start) {
  const std::regex re("  (n[0-9]+) \\[label=\"" + label_start);
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(std::regex_search(dot, m, re), "no node labelled " << label_start << " in\n" << dot);
  return m[1];
}

}  // namespace

// mul saves both inputs: 2 tensors of 3*4 floats = 2 * 48 bytes.
BOOST_AUTO_TEST_CASE(mul_saves_both_inputs) {
  auto a = ones({3, 4}).requires_grad_();
  auto b = ones({3, 4}).requires_grad_();
  auto c = a * b;
  auto s = saved_tensors_stats(c);
  BOOST_TEST(s.count == 2);
  BOOST_TEST(s.bytes == 96);
  BOOST_TEST(s.nodes == 3);  // MulBackward0 and two AccumulateGrad
}

// A storage is counted once however often it is saved: x*x saves x twice (48 bytes once), and
// a view saved by sqrt keeps its whole base alive.
BOOST_AUTO_TEST_CASE(storages_are_counted_once_and_whole) {
  auto x = ones({3, 4}).requires_grad_();
  auto s = saved_tensors_stats(x * x);
  BOOST_TEST(s.count == 2);
  BOOST_TEST(s.bytes == 48);

  auto base = ones({10}, kFloat64);
  auto v = base.narrow(0, 0, 2).requires_grad_();
  // mul saves the [2] view twice; it keeps the whole 10-double storage: 80 bytes.
  auto s2 = saved_tensors_stats(v * v);
  BOOST_TEST(s2.count == 2);
  BOOST_TEST(s2.bytes == 80);
}

BOOST_AUTO_TEST_CASE(a_leaf_or_a_tensor_without_graph_holds_nothing) {
  auto x = ones({5}).requires_grad_();
  BOOST_TEST(saved_tensors_stats(x).count == 0);
  BOOST_TEST(saved_tensors_stats(x).nodes == 0);
  BOOST_TEST(saved_tensors_stats(ones({2}) * 3.0).bytes == 0);
}

BOOST_AUTO_TEST_CASE(backward_frees_the_graph_and_retain_graph_keeps_it) {
  nn::Linear lin(4, 3);
  auto x = ones({2, 4});
  auto loss = lin(x).relu().sum();
  const auto before = saved_tensors_stats(loss);
  // addmm saves x [2,4] and w [3,4]; relu saves its output [2,3]: 32 + 48 + 24 bytes.
  BOOST_TEST(before.count == 3);
  BOOST_TEST(before.bytes == 104);
  loss.backward(/*gradient=*/{}, /*retain_graph=*/true);
  BOOST_TEST(saved_tensors_stats(loss).bytes == 104);
  loss.backward();
  const auto after = saved_tensors_stats(loss);
  BOOST_TEST(after.count == 0);
  BOOST_TEST(after.bytes == 0);
  BOOST_TEST(after.nodes == before.nodes);  // the nodes remain, their tensors are gone
}

BOOST_AUTO_TEST_CASE(saved_data_tensors_of_a_user_function_count) {
  struct Scale : autograd::Function<Scale> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x) {
      ctx->saved_data["factor"] = full({7}, 2.0, kFloat64);
      return x * 2.0;
    }
    static autograd::variable_list backward(AutogradContext*, autograd::variable_list g) { return {g[0] * 2.0}; }
  };
  auto x = ones({3}).requires_grad_();
  auto s = saved_tensors_stats(Scale::apply(x));
  BOOST_TEST(s.count == 1);
  BOOST_TEST(s.bytes == 56);
}

BOOST_AUTO_TEST_CASE(dot_of_a_small_graph_names_nodes_edges_saved_tensors_and_parameters) {
  nn::Linear lin(3, 2);
  auto x = ones({4, 3});
  auto y = lin(x).sigmoid();
  const std::string dot = make_dot(y, lin->named_parameters());
  BOOST_TEST_MESSAGE(dot);
  BOOST_TEST(dot.rfind("digraph xgrad {\n", 0) == 0);
  BOOST_TEST(dot.substr(dot.size() - 2) == "}\n");

  const std::string sig = id_of(dot, "SigmoidBackward0");
  const std::string addmm = id_of(dot, "AddmmBackward0");
  const std::string weight = id_of(dot, "weight");
  const std::string bias = id_of(dot, "bias");
  // Output sizes in the labels.
  BOOST_TEST(contains(dot, "[label=\"SigmoidBackward0\\n-> [4, 2]\""));
  BOOST_TEST(contains(dot, "[label=\"weight\\n-> [2, 3]\", fillcolor=lightblue]"));
  BOOST_TEST(contains(dot, "[label=\"bias\\n-> [2]\", fillcolor=lightblue]"));
  // Edges run from producer to consumer, and into the output.
  BOOST_TEST(contains(dot, "  " + addmm + " -> " + sig + ";\n"));
  BOOST_TEST(contains(dot, "  " + weight + " -> " + addmm + ";\n"));
  BOOST_TEST(contains(dot, "  " + bias + " -> " + addmm + ";\n"));
  BOOST_TEST(contains(dot, "  " + sig + " -> root;\n"));
  BOOST_TEST(contains(dot, "root [label=\"output\\n[4, 2] float32\""));
  // Saved tensors: addmm keeps x [4,3] (48 bytes) and w [2,3] (24 bytes); sigmoid its output.
  BOOST_TEST(contains(dot, addmm + "_s0 [label=\"saved #0\\n[4, 3] float32\\n48 bytes\", fillcolor=orange]"));
  BOOST_TEST(contains(dot, addmm + "_s1 [label=\"saved #1\\n[2, 3] float32\\n24 bytes\", fillcolor=orange]"));
  BOOST_TEST(contains(dot, "  " + addmm + "_s0 -> " + addmm + " [style=dashed];\n"));
  BOOST_TEST(contains(dot, sig + "_s0 [label=\"saved #0\\n[4, 2] float32\\n32 bytes\""));
  // Exactly four graph nodes: sigmoid, addmm, and the two leaves (x does not require grad).
  const std::regex node_line("  n[0-9]+ \\[label=");
  BOOST_TEST(std::distance(std::sregex_iterator(dot.begin(), dot.end(), node_line), std::sregex_iterator()) == 4);

  // Without params, leaves are called "leaf".
  const std::string anon = make_dot(y);
  BOOST_TEST(!contains(anon, "weight"));
  BOOST_TEST(contains(anon, "[label=\"leaf\\n-> [2, 3]\", fillcolor=lightblue]"));

  BOOST_CHECK_THROW(make_dot(Tensor()), ValueError);
}

BOOST_AUTO_TEST_CASE(dot_of_a_leaf_is_just_the_output) {
  const std::string dot = make_dot(ones({2}).requires_grad_());
  BOOST_TEST(contains(dot, "root [label=\"output\\n[2] float32\""));
  BOOST_TEST(!contains(dot, "->"));
}
