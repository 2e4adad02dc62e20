#define BOOST_TEST_MODULE nn_rnn
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

// nn::LSTM, nn::GRU, nn::RNN, nn::LSTMCell, nn::GRUCell and nn::RNNCell (src/nn/modules/rnn.cpp)
// against PyTorch 1.13 (tests/reference/rnn.py): parameter names and initial values after
// manual_seed, outputs, final states, parameter and input gradients (float32, 1e-5), for
// multi-layer, bidirectional, batch_first, unbatched, bias-free and proj_size variants;
// gradcheck and gradgradcheck in float64; the typed errors; repr, clone and Sequential.

namespace ref {
#include "reference/rnn.inc"
}

using namespace xgrad;
namespace nn = xgrad::nn;
using xgrad::autograd::variable_list;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;
using xgrad::testing::contains;
using xgrad::testing::what_of;

namespace {

struct Ref {
  const std::vector<std::string>& names;
  const std::vector<std::vector<double>>& init;
  const std::vector<double>& x;
  const std::vector<std::vector<double>>& hx;
  const std::vector<std::vector<double>>& out;
  const std::vector<std::vector<double>>& grad;
  const std::vector<double>& xgrad;
};
const std::vector<std::vector<double>> kNoState;
#define REF(n) Ref{ref::n##_names, ref::n##_init, ref::n##_x, kNoState, ref::n##_out, ref::n##_grad, ref::n##_xgrad}
#define REF_HX(n) \
  Ref{ref::n##_names, ref::n##_init, ref::n##_x, ref::n##_hx, ref::n##_out, ref::n##_grad, ref::n##_xgrad}

Tensor f32(const std::vector<double>& v, std::vector<int64_t> shape) {
  return tensor(v, TensorOptions().dtype(kFloat32)).reshape(shape);
}
// w[j] = 1 + (j % 3) / 2 over the flattened tensor, as the script's weights().
Tensor loss_weights(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (size_t j = 0; j < v.size(); ++j) v[j] = 1.0 + static_cast<double>(j % 3) / 2;
  return tensor(v, TensorOptions().dtype(t.dtype())).reshape(t.sizes());
}

// Builds the module after manual_seed(seed), checks its parameters' names and initial values,
// runs `run(module, x, states)` (returning output and final states), checks them, backpropagates
// the script's loss and checks every parameter's gradient and the input's.
template <typename Holder, typename Run>
void check_case(uint64_t seed, const std::function<Holder()>& make, const Ref& r, std::vector<int64_t> x_shape,
                std::vector<std::vector<int64_t>> state_shapes, Run run) {
  manual_seed(seed);
  Holder m = make();
  const auto params = m->named_parameters();
  BOOST_REQUIRE_EQUAL(params.size(), r.names.size());
  for (size_t i = 0; i < r.names.size(); ++i) {
    BOOST_TEST_CONTEXT("parameter " << r.names[i]) {
      BOOST_TEST(params[i].key() == r.names[i]);
      BOOST_TEST(params[i].value().requires_grad());
      check_values(params[i].value(), r.init[i], 1e-7, 0);  // the same draws as PyTorch's
    }
  }
  Tensor x = f32(r.x, x_shape).requires_grad_();
  std::vector<Tensor> states;
  for (size_t i = 0; i < r.hx.size(); ++i) states.push_back(f32(r.hx[i], state_shapes[i]));
  const std::vector<Tensor> outs = run(m, x, states);
  BOOST_REQUIRE_EQUAL(outs.size(), r.out.size());
  Tensor loss = zeros({}, TensorOptions().dtype(kFloat32));
  for (size_t k = 0; k < outs.size(); ++k) {
    BOOST_TEST_CONTEXT("result " << k) { check_values(outs[k], r.out[k], 1e-5, 1e-5); }
    loss = loss + (outs[k] * loss_weights(outs[k])).sum();
  }
  loss.backward();
  for (size_t i = 0; i < r.names.size(); ++i) {
    BOOST_TEST_CONTEXT("gradient of " << r.names[i]) { check_values(params[i].value().grad(), r.grad[i], 1e-5, 1e-5); }
  }
  BOOST_TEST_CONTEXT("gradient of the input") { check_values(x.grad(), r.xgrad, 1e-5, 1e-5); }
}

template <typename Holder>
std::vector<Tensor> run_lstm(Holder& m, const Tensor& x, const std::vector<Tensor>& s) {
  auto [out, state] = s.empty() ? m(x) : m(x, std::make_tuple(s[0], s[1]));
  return {out, std::get<0>(state), std::get<1>(state)};
}
template <typename Holder>
std::vector<Tensor> run_one_state(Holder& m, const Tensor& x, const std::vector<Tensor>& s) {
  auto [out, h] = m(x, s.empty() ? Tensor() : s[0]);
  return {out, h};
}

}  // namespace

BOOST_AUTO_TEST_CASE(lstm_matches_pytorch) {
  // 2 layers, bidirectional, batch_first, with (h_0, c_0).
  check_case<nn::LSTM>(
      0, [] { return nn::LSTM(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true)); },
      REF_HX(lstm), {2, 5, 3}, {{4, 2, 4}, {4, 2, 4}}, run_lstm<nn::LSTM>);
  // proj_size, one unbatched sequence: h has proj_size features, c hidden_size.
  check_case<nn::LSTM>(
      3, [] { return nn::LSTM(nn::LSTMOptions(3, 4).proj_size(2)); }, REF_HX(lstm_proj), {5, 3}, {{1, 2}, {1, 4}},
      run_lstm<nn::LSTM>);
}

BOOST_AUTO_TEST_CASE(gru_and_rnn_match_pytorch) {
  check_case<nn::GRU>(
      1, [] { return nn::GRU(nn::GRUOptions(3, 4).num_layers(2)); }, REF(gru), {5, 2, 3}, {}, run_one_state<nn::GRU>);
  check_case<nn::GRU>(
      7, [] { return nn::GRU(nn::GRUOptions(3, 4).bidirectional(true).batch_first(true).bias(false)); }, REF_HX(gru_bi),
      {2, 4, 3}, {{2, 2, 4}}, run_one_state<nn::GRU>);
  check_case<nn::RNN>(
      2, [] { return nn::RNN(nn::RNNOptions(3, 4).nonlinearity(kReLU).bidirectional(true)); }, REF_HX(rnn_relu),
      {5, 2, 3}, {{2, 2, 4}}, run_one_state<nn::RNN>);
  check_case<nn::RNN>(
      8, [] { return nn::RNN(nn::RNNOptions(3, 4).num_layers(2).bias(false)); }, REF(rnn_tanh), {5, 3}, {},
      run_one_state<nn::RNN>);
}

BOOST_AUTO_TEST_CASE(cells_match_pytorch) {
  check_case<nn::LSTMCell>(
      4, [] { return nn::LSTMCell(3, 4); }, REF_HX(lstm_cell), {2, 3}, {{2, 4}, {2, 4}},
      [](nn::LSTMCell& m, const Tensor& x, const std::vector<Tensor>& s) {
        auto [h, c] = m(x, std::make_tuple(s[0], s[1]));
        return std::vector<Tensor>{h, c};
      });
  check_case<nn::GRUCell>(
      5, [] { return nn::GRUCell(3, 4); }, REF_HX(gru_cell), {2, 3}, {{2, 4}},
      [](nn::GRUCell& m, const Tensor& x, const std::vector<Tensor>& s) { return std::vector<Tensor>{m(x, s[0])}; });
  check_case<nn::RNNCell>(
      6, [] { return nn::RNNCell(nn::RNNCellOptions(3, 4).nonlinearity(kReLU)); }, REF(rnn_cell), {3}, {},
      [](nn::RNNCell& m, const Tensor& x, const std::vector<Tensor>&) { return std::vector<Tensor>{m(x)}; });
}

BOOST_AUTO_TEST_CASE(shapes_defaults_and_all_weights) {
  manual_seed(0);
  nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true));
  auto [out, state] = lstm(randn({2, 5, 3}));
  check_sizes(out, {2, 5, 8});
  check_sizes(std::get<0>(state), {4, 2, 4});
  check_sizes(std::get<1>(state), {4, 2, 4});
  // all_weights(): the flat PyTorch order, the same tensors as the parameters.
  const auto all = lstm->all_weights();
  BOOST_REQUIRE_EQUAL(all.size(), 16u);
  BOOST_TEST(all[4].is_same(lstm->named_parameters()["weight_ih_l0_reverse"]));
  check_sizes(all[8], {16, 8});  // weight_ih_l1: reads both directions of layer 0
  lstm->flatten_parameters();   // a no-op that must exist
  // No state given = zeros given.
  nn::GRU gru(3, 4);
  const Tensor x = randn({6, 2, 3});
  auto [y0, h0] = gru(x);
  auto [y1, h1] = gru(x, zeros({1, 2, 4}));
  BOOST_TEST(equal(y0, y1));
  BOOST_TEST(equal(h0, h1));
  // The last output step is the final state of a unidirectional layer.
  BOOST_TEST(equal(y0.select(0, 5), h0.select(0, 0)));
  // Dropout between layers acts only in training mode.
  nn::LSTM drop(nn::LSTMOptions(3, 4).num_layers(2).dropout(0.5));
  drop->eval();
  auto [e0, s0] = drop(x);
  auto [e1, s1] = drop(x);
  BOOST_TEST(equal(e0, e1));
  drop->train();
  manual_seed(1);
  auto [t0, u0] = drop(x);
  manual_seed(2);
  auto [t1, u1] = drop(x);
  BOOST_TEST(!equal(t0, t1));
  // reset_parameters draws again; clone copies values into new tensors.
  auto copy = std::dynamic_pointer_cast<nn::LSTMImpl>(lstm->clone());
  BOOST_REQUIRE(copy);
  BOOST_TEST(equal(copy->all_weights()[3], lstm->all_weights()[3]));
  BOOST_TEST(!copy->all_weights()[3].is_same(lstm->all_weights()[3]));
  // to(kFloat64) converts in place; forward then takes float64.
  nn::RNN rnn(3, 4);
  rnn->to(kFloat64);
  check_sizes(std::get<0>(rnn(randn({2, 1, 3}, TensorOptions().dtype(kFloat64)))), {2, 1, 4});
}

BOOST_AUTO_TEST_CASE(repr_as_pytorch) {
  BOOST_TEST(nn::LSTM(3, 4)->repr() == "LSTM(3, 4)");
  const auto all = nn::LSTMOptions(3, 4).num_layers(2).bias(false).batch_first(true).dropout(0.5).bidirectional(true);
  BOOST_TEST(nn::LSTM(nn::LSTMOptions(all).proj_size(2))->repr() ==
             "LSTM(3, 4, proj_size=2, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)");
  BOOST_TEST(nn::GRU(nn::GRUOptions(3, 4).num_layers(3))->repr() == "GRU(3, 4, num_layers=3)");
  BOOST_TEST(nn::RNN(nn::RNNOptions(3, 4).nonlinearity(kReLU))->repr() == "RNN(3, 4)");  // as PyTorch 1.13
  BOOST_TEST(nn::RNNCell(nn::RNNCellOptions(3, 4).nonlinearity(kReLU).bias(false))->repr() ==
             "RNNCell(3, 4, bias=False, nonlinearity=relu)");
  BOOST_TEST(nn::LSTMCell(3, 4)->repr() == "LSTMCell(3, 4)");
  BOOST_TEST(nn::GRUCell(3, 4)->repr() == "GRUCell(3, 4)");
}

BOOST_AUTO_TEST_CASE(gradcheck_and_gradgradcheck_in_float64) {
  manual_seed(3);
  nn::LSTM lstm(nn::LSTMOptions(2, 2).num_layers(2).bidirectional(true));
  lstm->to(kFloat64);
  const auto opts = TensorOptions().dtype(kFloat64);
  Tensor x = randn({3, 1, 2}, opts).requires_grad_();
  Tensor h0 = randn({4, 1, 2}, opts).requires_grad_();
  Tensor c0 = randn({4, 1, 2}, opts).requires_grad_();
  // The parameters are inputs too: gradcheck perturbs them in place, and forward reads them.
  variable_list inputs{x, h0, c0};
  for (const auto& p : lstm->parameters()) inputs.push_back(p);
  auto f = [&](const variable_list& in) {
    auto [out, state] = lstm(in[0], std::make_tuple(in[1], in[2]));
    return variable_list{out, std::get<0>(state), std::get<1>(state)};
  };
  BOOST_TEST(autograd::gradcheck(f, inputs));
  // Second order through one small GRU layer and an LSTM cell.
  nn::GRU gru(2, 2);
  gru->to(kFloat64);
  variable_list gin{randn({2, 1, 2}, opts).requires_grad_(), randn({1, 1, 2}, opts).requires_grad_()};
  for (const auto& p : gru->parameters()) gin.push_back(p);
  BOOST_TEST(autograd::gradgradcheck(
      [&](const variable_list& in) { return std::get<0>(gru(in[0], in[1])); }, gin));
  nn::LSTMCell cell(2, 2);
  cell->to(kFloat64);
  variable_list cell_in{randn({1, 2}, opts).requires_grad_(), randn({1, 2}, opts).requires_grad_(),
                    randn({1, 2}, opts).requires_grad_(), cell->weight_hh};
  BOOST_TEST(autograd::gradgradcheck(
      [&](const variable_list& in) {
        auto [h, c] = cell(in[0], std::make_tuple(in[1], in[2]));
        return variable_list{h, c};
      },
      cell_in));
}

BOOST_AUTO_TEST_CASE(bad_options_and_inputs_throw_typed_errors) {
  const auto expect = [](auto f, const char* part) {
    const std::string w = what_of(f);
    BOOST_TEST_INFO("message: " << w);
    BOOST_TEST(contains(w, part));
  };
  BOOST_CHECK_THROW(nn::LSTM(nn::LSTMOptions(3, 4).num_layers(0)), ValueError);
  expect([] { nn::LSTM(nn::LSTMOptions(3, 4).num_layers(0)); }, "LSTM: num_layers must be greater than zero, got 0");
  BOOST_CHECK_THROW(nn::GRU(nn::GRUOptions(3, 4).dropout(1.5)), ValueError);
  expect([] { nn::GRU(nn::GRUOptions(3, 4).dropout(-0.1)); }, "GRU: dropout should be a number in range [0, 1]");
  BOOST_CHECK_THROW(nn::RNN(3, 0), ValueError);
  expect([] { nn::RNN(3, 0); }, "RNN: hidden_size must be greater than zero, got 0");
  BOOST_CHECK_THROW(nn::LSTM(nn::LSTMOptions(3, 4).proj_size(4)), ValueError);
  expect([] { nn::LSTM(nn::LSTMOptions(3, 4).proj_size(4)); }, "proj_size has to be smaller than hidden_size");
  expect([] { nn::LSTM(nn::LSTMOptions(3, 4).proj_size(-1)); }, "proj_size should be a positive integer or zero");
  BOOST_CHECK_THROW(nn::LSTMCell(-1, 4), ValueError);
  BOOST_CHECK_THROW(nn::GRUCell(3, 0), ValueError);

  nn::LSTM lstm(3, 4);
  BOOST_CHECK_THROW(lstm(randn({3})), ShapeError);
  expect([&] { lstm(randn({2, 2, 2, 3})); }, "LSTM: Expected input to be 2-D or 3-D but received 4-D tensor");
  expect([&] { lstm(randn({5, 2, 2})); }, "LSTM: input.size(-1) must be equal to input_size. Expected 3, got 2");
  BOOST_CHECK_THROW(lstm(randn({5, 2, 3}, TensorOptions().dtype(kFloat64))), TypeError);
  BOOST_CHECK_THROW(lstm(Tensor()), ValueError);
  expect([&] { lstm(randn({0, 2, 3})); }, "LSTM: Expected sequence length to be larger than 0 in RNN");
  // An empty batch and zero input features are valid, as in PyTorch.
  check_sizes(std::get<0>(lstm(randn({5, 0, 3}))), {5, 0, 4});
  check_sizes(std::get<0>(std::get<1>(lstm(randn({5, 0, 3})))), {1, 0, 4});
  check_sizes(std::get<0>(nn::GRU(0, 4)(randn({5, 2, 0}))), {5, 2, 4});
  BOOST_CHECK_THROW(lstm(randn({5, 2, 3}), std::make_tuple(zeros({1, 2, 4}), zeros({1, 3, 4}))), ShapeError);
  expect([&] { lstm(randn({5, 2, 3}), std::make_tuple(zeros({1, 2, 5}), zeros({1, 2, 4}))); },
         "LSTM: Expected hidden[0] size (1, 2, 4), got [1, 2, 5]");
  expect([&] { lstm(randn({5, 2, 3}), std::make_tuple(zeros({1, 2, 4}), zeros({2, 2, 4}))); },
         "LSTM: Expected hidden[1] size (1, 2, 4), got [2, 2, 4]");
  expect([&] { lstm(randn({5, 2, 3}), std::make_tuple(zeros({2, 4}), zeros({2, 4}))); },
         "LSTM: For batched 3-D input, hx and cx should also be 3-D but got (2-D, 2-D) tensors");
  expect([&] { lstm(randn({5, 3}), std::make_tuple(zeros({1, 1, 4}), zeros({1, 4}))); },
         "LSTM: For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 2-D) tensors");
  nn::GRU gru(3, 4);
  expect([&] { gru(randn({5, 2, 3}), zeros({1, 3, 4})); }, "GRU: Expected hidden size (1, 2, 4), got [1, 3, 4]");
  expect([&] { gru(randn({5, 2, 3}), zeros({2, 4})); },
         "GRU: For batched 3-D input, hx should also be 3-D but got 2-D");
  BOOST_CHECK_THROW(gru(randn({5, 2, 3}), zeros({1, 2, 4}, TensorOptions().dtype(kFloat64))), TypeError);
  nn::RNNCell rc(3, 4);
  expect([&] { rc(randn({1, 2, 3})); }, "RNNCell: Expected input to be 1-D or 2-D but received 3-D tensor");
  expect([&] { rc(randn({2, 4})); }, "RNNCell: input has inconsistent input_size: got 4, expected 3");
  expect([&] { rc(randn({2, 3}), zeros({3, 4})); }, "RNNCell: Input batch size 2 doesn't match hidden batch size 3");
  expect([&] { rc(randn({2, 3}), zeros({2, 5})); }, "RNNCell: hidden has inconsistent hidden_size: got 5, expected 4");
  BOOST_CHECK_THROW(rc(randn({3}), zeros({2, 4})), ShapeError);
  nn::LSTMCell lc(3, 4);
  expect([&] { lc(randn({2, 3}), std::make_tuple(zeros({2, 4}), zeros({2, 3}))); },
         "LSTMCell: hidden1 has inconsistent hidden_size: got 3, expected 4");
}

BOOST_AUTO_TEST_CASE(sequential_holds_an_lstm) {
  // LibTorch's SequentialTest.SanityCheckForHoldingStandardModules.
  nn::Sequential seq(nn::Linear(10, 3), nn::Conv2d(1, 2, 3), nn::Dropout(0.5), nn::BatchNorm2d(5), nn::Embedding(4, 10),
                     nn::LSTM(4, 5));
  BOOST_REQUIRE_EQUAL(seq->size(), 6u);
  auto lstm = seq->ptr<nn::LSTMImpl>(5);
  BOOST_TEST(seq->named_parameters().contains("5.weight_ih_l0"));
  auto [out, state] = lstm->forward(randn({7, 2, 4}));
  check_sizes(out, {7, 2, 5});
  // Through the type-erased call, with both arguments.
  nn::Sequential only(nn::LSTM(4, 5));
  auto res = only->forward<std::tuple<Tensor, std::tuple<Tensor, Tensor>>>(
      randn({7, 2, 4}), optional<std::tuple<Tensor, Tensor>>());
  check_sizes(std::get<0>(res), {7, 2, 5});
  // Without the state: LSTM declares its default (FORWARD_HAS_DEFAULT_ARGS), so it starts at zero.
  using Result = std::tuple<Tensor, std::tuple<Tensor, Tensor>>;
  manual_seed(3);
  auto x = randn({7, 2, 4});
  auto without = only->forward<Result>(x);
  auto with_zeros = only->forward<Result>(x, optional<std::tuple<Tensor, Tensor>>(
                                                 std::make_tuple(zeros({1, 2, 5}), zeros({1, 2, 5}))));
  xgrad::testing::check_close(std::get<0>(without), std::get<0>(with_zeros), 0, 0);
  const std::string w = what_of([&] { only->forward<Result>(); });
  BOOST_TEST(contains(w, "LSTM.forward: expected 2 argument(s), but received 0"), w);
  BOOST_TEST(contains(seq->repr(), "(5): LSTM(4, 5)"));
}
