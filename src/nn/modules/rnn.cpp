// LSTM, GRU, RNN and their cells, built from differentiable ops so that autograd (and double
// backward) needs nothing of their own.
//
// How a multi-layer module runs (as PyTorch's CPU path in ATen's RNN.cpp):
//   1. The input is made batched and sequence-first: x [T, B, I].
//   2. Per layer and direction, the input projection of every step is one GEMM up front,
//      gi = x W_ih^T + b_ih [T, B, G]; only h W_hh^T + b_hh stays inside the step loop.
//   3. The reverse direction walks t = T-1 .. 0 but stores each step's h at position t, so both
//      directions' outputs line up and are concatenated on the feature dimension.
//   4. Between layers (not after the last) dropout applies in training mode.
//   5. The final states of all layers and directions are stacked in PyTorch's order
//      (layer-major, forward before reverse).

#include <xgrad/nn/functional/dropout.hpp>
#include <xgrad/nn/functional/linear.hpp>
#include <xgrad/nn/init.hpp>
#include <xgrad/nn/modules/rnn.hpp>
#include <xgrad/warning.hpp>

#include "nn/modules/common.hpp"

#include <fmt/format.h>

#include <cmath>

namespace xgrad::nn {

using namespace detail;

namespace {

enum class Cell { kLSTM, kGRU, kTanh, kReLU };

Cell cell_of(const RNNOptionsBase::rnn_options_base_mode_t& mode) {
  if (std::holds_alternative<enumtype::kLSTM>(mode)) return Cell::kLSTM;
  if (std::holds_alternative<enumtype::kGRU>(mode)) return Cell::kGRU;
  if (std::holds_alternative<enumtype::kRNN_TANH>(mode)) return Cell::kTanh;
  return Cell::kReLU;
}

int64_t gate_count(Cell cell) { return cell == Cell::kLSTM ? 4 : cell == Cell::kGRU ? 3 : 1; }

// A sizes list as PyTorch prints a Python tuple in its hidden-size messages: "(2, 3, 5)".
std::string py_sizes(IntArrayRef s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += fmt::format("{}{}", i ? ", " : "", s[i]);
  return out + ")";
}

// The weights of one layer and direction (bias and projection undefined when absent).
struct LayerWeights {
  Tensor w_ih, w_hh, b_ih, b_hh, w_hr;
};

// One step of each cell from the precomputed input projection gi [B, G] and the state. The
// gates are narrow views of one [B, G] sum, in PyTorch's stacking order.
std::tuple<Tensor, Tensor> lstm_step(const Tensor& gi, const Tensor& h, const Tensor& c, const LayerWeights& w) {
  const Tensor gates = gi + functional::linear(h, w.w_hh, w.b_hh);
  const int64_t n = w.w_hh.size(0) / 4;
  const Tensor i = gates.narrow(-1, 0, n).sigmoid();
  const Tensor f = gates.narrow(-1, n, n).sigmoid();
  const Tensor g = gates.narrow(-1, 2 * n, n).tanh();
  const Tensor o = gates.narrow(-1, 3 * n, n).sigmoid();
  Tensor c1 = f * c + i * g;
  Tensor h1 = o * c1.tanh();
  if (w.w_hr.defined()) h1 = functional::linear(h1, w.w_hr);
  return {h1, c1};
}

Tensor gru_step(const Tensor& gi, const Tensor& h, const LayerWeights& w) {
  const Tensor gh = functional::linear(h, w.w_hh, w.b_hh);
  const int64_t n = w.w_hh.size(0) / 3;
  const Tensor r = (gi.narrow(-1, 0, n) + gh.narrow(-1, 0, n)).sigmoid();
  const Tensor z = (gi.narrow(-1, n, n) + gh.narrow(-1, n, n)).sigmoid();
  const Tensor cand = (gi.narrow(-1, 2 * n, n) + r * gh.narrow(-1, 2 * n, n)).tanh();
  // (1 - z) n + z h, written as PyTorch computes it.
  return cand + z * (h - cand);
}

Tensor simple_step(const Tensor& gi, const Tensor& h, const LayerWeights& w, Cell cell) {
  const Tensor pre = gi + functional::linear(h, w.w_hh, w.b_hh);
  return cell == Cell::kReLU ? pre.relu() : pre.tanh();
}

void check_options(const std::string& name, const RNNOptionsBase& o) {
  XGRAD_CHECK(o.input_size() >= 0, ValueError, "{}: input_size must be non-negative, got {}", name, o.input_size());
  XGRAD_CHECK(o.hidden_size() > 0, ValueError, "{}: hidden_size must be greater than zero, got {}", name,
              o.hidden_size());
  XGRAD_CHECK(o.num_layers() > 0, ValueError, "{}: num_layers must be greater than zero, got {}", name,
              o.num_layers());
  XGRAD_CHECK(o.dropout() >= 0 && o.dropout() <= 1, ValueError,
              "{}: dropout should be a number in range [0, 1] representing the probability of an element being "
              "zeroed, got {}",
              name, o.dropout());
  XGRAD_CHECK(o.proj_size() >= 0, ValueError,
              "{}: proj_size should be a positive integer or zero to disable projections, got {}", name,
              o.proj_size());
  XGRAD_CHECK(o.proj_size() < o.hidden_size(), ValueError,
              "{}: proj_size has to be smaller than hidden_size, got proj_size={} and hidden_size={}", name,
              o.proj_size(), o.hidden_size());
}

}  // namespace

// ---- the multi-layer modules -----------------------------------------------------------------------

RNNImplBase::RNNImplBase(std::string name, const RNNOptionsBase& options_base_)
    : options_base(options_base_), name_(std::move(name)) {
  check_options(name_, options_base);
  if (options_base.dropout() > 0 && options_base.num_layers() == 1)
    XGRAD_WARN(
        "{}: dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
        "num_layers greater than 1, but got dropout={} and num_layers={}",
        name_, options_base.dropout(), options_base.num_layers());
  reset();
}

void RNNImplBase::reset() {
  const RNNOptionsBase& o = options_base;
  check_options(name_, o);
  parameters_.clear();  // reset() may run again (re-creates the parameters)
  all_weights_.clear();
  const int64_t gates = gate_count(cell_of(o.mode())) * o.hidden_size();
  const int64_t dirs = o.bidirectional() ? 2 : 1;
  const int64_t real_hidden = o.proj_size() > 0 ? o.proj_size() : o.hidden_size();
  // Registration order is PyTorch's, which reset_parameters' draws follow.
  for (int64_t layer = 0; layer < o.num_layers(); ++layer) {
    for (int64_t d = 0; d < dirs; ++d) {
      const std::string suffix = fmt::format("_l{}{}", layer, d == 1 ? "_reverse" : "");
      const int64_t in = layer == 0 ? o.input_size() : real_hidden * dirs;
      std::vector<std::string> names{"weight_ih" + suffix, "weight_hh" + suffix};
      register_parameter(names[0], empty({gates, in}));
      register_parameter(names[1], empty({gates, real_hidden}));
      if (o.bias()) {
        names.push_back("bias_ih" + suffix);
        names.push_back("bias_hh" + suffix);
        register_parameter(names[2], empty({gates}));
        register_parameter(names[3], empty({gates}));
      }
      if (o.proj_size() > 0) {
        names.push_back("weight_hr" + suffix);
        register_parameter(names.back(), empty({o.proj_size(), o.hidden_size()}));
      }
      all_weights_.push_back(std::move(names));
    }
  }
  reset_parameters();
}

void RNNImplBase::reset_parameters() {
  const double bound = 1.0 / std::sqrt(static_cast<double>(options_base.hidden_size()));
  for (auto& p : parameters_) init::uniform_(p.value(), -bound, bound);
}

std::vector<Tensor> RNNImplBase::all_weights() const {
  std::vector<Tensor> out;
  for (const auto& names : all_weights_)
    for (const auto& n : names) out.push_back(*parameters_.find(n));
  return out;
}

std::string RNNImplBase::extra_repr() const {
  const RNNOptionsBase& o = options_base;
  std::string s = fmt::format("{}, {}", o.input_size(), o.hidden_size());
  if (o.proj_size() != 0) s += fmt::format(", proj_size={}", o.proj_size());
  if (o.num_layers() != 1) s += fmt::format(", num_layers={}", o.num_layers());
  if (!o.bias()) s += ", bias=False";
  if (o.batch_first()) s += ", batch_first=True";
  if (o.dropout() != 0) s += fmt::format(", dropout={}", py_float(o.dropout()));
  if (o.bidirectional()) s += ", bidirectional=True";
  return s;
}

Tensor RNNImplBase::prepare_input(const Tensor& input, bool& batched) const {
  XGRAD_CHECK(input.defined(), ValueError, "{}: input is an undefined tensor", name_);
  XGRAD_CHECK(input.dim() == 2 || input.dim() == 3, ShapeError,
              "{}: Expected input to be 2-D or 3-D but received {}-D tensor (input {})", name_, input.dim(),
              to_string(input.sizes()));
  XGRAD_CHECK(input.size(-1) == options_base.input_size(), ShapeError,
              "{}: input.size(-1) must be equal to input_size. Expected {}, got {} (input {})", name_,
              options_base.input_size(), input.size(-1), to_string(input.sizes()));
  const ScalarType wtype = parameters_.begin()->value().scalar_type();
  XGRAD_CHECK(input.scalar_type() == wtype, TypeError, "{}: input must have the type {}, got type {}", name_,
              dtype_name(wtype), dtype_name(input.scalar_type()));
  batched = input.dim() == 3;
  Tensor x = batched ? input : input.unsqueeze(options_base.batch_first() ? 0 : 1);
  if (options_base.batch_first()) x = x.transpose(0, 1);
  XGRAD_CHECK(x.size(0) > 0, ShapeError, "{}: Expected sequence length to be larger than 0 in RNN (input {})",
              name_, to_string(input.sizes()));
  return x;
}

Tensor RNNImplBase::prepare_state(const Tensor& state, const Tensor& x, bool batched, int64_t features,
                                  const char* what) const {
  const int64_t dirs = options_base.bidirectional() ? 2 : 1;
  const std::vector<int64_t> expected{options_base.num_layers() * dirs, x.size(1), features};
  if (!state.defined()) return zeros(expected, TensorOptions().dtype(x.scalar_type()));
  const int64_t want = batched ? 3 : 2;
  XGRAD_CHECK(state.dim() == want, ShapeError, "{}: For {} input, {} should also be {}-D but got {}-D tensor", name_,
              batched ? "batched 3-D" : "unbatched 2-D", what, want, state.dim());
  Tensor s = batched ? state : state.unsqueeze(1);
  XGRAD_CHECK(s.sizes() == IntArrayRef(expected), ShapeError, "{}: Expected {} size {}, got {}", name_,
              std::string(what) == "hx" ? "hidden" : what, py_sizes(expected), to_string(s.sizes()));
  XGRAD_CHECK(s.scalar_type() == x.scalar_type(), TypeError, "{}: {} must have the type {} (as the input), got {}",
              name_, what, dtype_name(x.scalar_type()), dtype_name(s.scalar_type()));
  return s;
}

std::tuple<Tensor, Tensor, Tensor> RNNImplBase::run_layers(const Tensor& x, const Tensor& h0, const Tensor& c0) {
  const Cell cell = cell_of(options_base.mode());
  const int64_t dirs = options_base.bidirectional() ? 2 : 1;
  const int64_t steps = x.size(0);
  std::vector<Tensor> h_n, c_n;
  Tensor layer_input = x;
  for (int64_t layer = 0; layer < options_base.num_layers(); ++layer) {
    std::vector<Tensor> dir_outputs;
    for (int64_t d = 0; d < dirs; ++d) {
      const size_t idx = static_cast<size_t>(layer * dirs + d);
      const auto& names = all_weights_[idx];
      const auto param = [&](size_t i) { return *parameters_.find(names[i]); };
      LayerWeights w{param(0), param(1), {}, {}, {}};
      size_t next = 2;
      if (options_base.bias()) {
        w.b_ih = param(2);
        w.b_hh = param(3);
        next = 4;
      }
      if (options_base.proj_size() > 0) w.w_hr = param(next);
      const Tensor gi = functional::linear(layer_input, w.w_ih, w.b_ih);  // [T, B, G], all steps at once
      Tensor h = h0.select(0, static_cast<int64_t>(idx));
      Tensor c = cell == Cell::kLSTM ? c0.select(0, static_cast<int64_t>(idx)) : Tensor();
      std::vector<Tensor> outputs(static_cast<size_t>(steps));
      for (int64_t s = 0; s < steps; ++s) {
        const int64_t t = d == 0 ? s : steps - 1 - s;
        const Tensor g = gi.select(0, t);
        if (cell == Cell::kLSTM) {
          std::tie(h, c) = lstm_step(g, h, c, w);
        } else if (cell == Cell::kGRU) {
          h = gru_step(g, h, w);
        } else {
          h = simple_step(g, h, w, cell);
        }
        outputs[static_cast<size_t>(t)] = h;
      }
      dir_outputs.push_back(stack(outputs, 0));
      h_n.push_back(h);
      if (cell == Cell::kLSTM) c_n.push_back(c);
    }
    layer_input = dirs == 1 ? dir_outputs[0] : cat(dir_outputs, 2);
    if (options_base.dropout() > 0 && is_training() && layer + 1 < options_base.num_layers())
      layer_input = functional::dropout(layer_input, functional::DropoutFuncOptions().p(options_base.dropout()));
  }
  return {layer_input, stack(h_n, 0), cell == Cell::kLSTM ? stack(c_n, 0) : Tensor()};
}

Tensor RNNImplBase::finish_output(Tensor out, bool batched) const {
  if (options_base.batch_first()) out = out.transpose(0, 1);
  return batched ? out : out.squeeze(options_base.batch_first() ? 0 : 1);
}

namespace {

template <typename O>
RNNOptionsBase base_options(RNNOptionsBase::rnn_options_base_mode_t mode, const O& o) {
  return RNNOptionsBase(mode, o.input_size(), o.hidden_size())
      .num_layers(o.num_layers())
      .bias(o.bias())
      .batch_first(o.batch_first())
      .dropout(o.dropout())
      .bidirectional(o.bidirectional());
}

RNNOptionsBase::rnn_options_base_mode_t rnn_mode(const RNNOptions& o) {
  if (std::holds_alternative<enumtype::kReLU>(o.nonlinearity())) return kRNN_RELU;
  return kRNN_TANH;
}

}  // namespace

RNNImpl::RNNImpl(const RNNOptions& options_)
    : Cloneable("RNN", base_options(rnn_mode(options_), options_)), options(options_) {}

std::tuple<Tensor, Tensor> RNNImpl::forward(const Tensor& input, Tensor hx) {
  bool batched = true;
  const Tensor x = prepare_input(input, batched);
  const Tensor h0 = prepare_state(hx, x, batched, options_base.hidden_size(), "hx");
  auto [out, h_n, c_n] = run_layers(x, h0, {});
  (void)c_n;
  return {finish_output(out, batched), batched ? h_n : h_n.squeeze(1)};
}

LSTMImpl::LSTMImpl(const LSTMOptions& options_)
    : Cloneable("LSTM", base_options(kLSTM, options_).proj_size(options_.proj_size())), options(options_) {}

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTMImpl::forward(const Tensor& input,
                                                                 optional<std::tuple<Tensor, Tensor>> hx_opt) {
  bool batched = true;
  const Tensor x = prepare_input(input, batched);
  const int64_t real_hidden = options_base.proj_size() > 0 ? options_base.proj_size() : options_base.hidden_size();
  Tensor h_given, c_given;
  if (hx_opt) {
    std::tie(h_given, c_given) = *hx_opt;
    // PyTorch takes both or neither: a given pair must hold two tensors.
    XGRAD_CHECK(h_given.defined() && c_given.defined(), ValueError,
                "LSTM: hx must hold two defined tensors (h_0, c_0), got {} and {}",
                h_given.defined() ? "a tensor" : "an undefined tensor",
                c_given.defined() ? "a tensor" : "an undefined tensor");
    const int64_t want = batched ? 3 : 2;
    XGRAD_CHECK(h_given.dim() == want && c_given.dim() == want, ShapeError,
                "LSTM: For {} input, hx and cx should also be {}-D but got ({}-D, {}-D) tensors",
                batched ? "batched 3-D" : "unbatched 2-D", want, h_given.dim(), c_given.dim());
  }
  const Tensor h0 = prepare_state(h_given, x, batched, real_hidden, "hidden[0]");
  const Tensor c0 = prepare_state(c_given, x, batched, options_base.hidden_size(), "hidden[1]");
  auto [out, h_n, c_n] = run_layers(x, h0, c0);
  if (!batched) {
    h_n = h_n.squeeze(1);
    c_n = c_n.squeeze(1);
  }
  return {finish_output(out, batched), {h_n, c_n}};
}

GRUImpl::GRUImpl(const GRUOptions& options_) : Cloneable("GRU", base_options(kGRU, options_)), options(options_) {}

std::tuple<Tensor, Tensor> GRUImpl::forward(const Tensor& input, Tensor hx) {
  bool batched = true;
  const Tensor x = prepare_input(input, batched);
  const Tensor h0 = prepare_state(hx, x, batched, options_base.hidden_size(), "hx");
  auto [out, h_n, c_n] = run_layers(x, h0, {});
  (void)c_n;
  return {finish_output(out, batched), batched ? h_n : h_n.squeeze(1)};
}

// ---- the cells ------------------------------------------------------------------------------------

RNNCellImplBase::RNNCellImplBase(std::string name, int64_t input_size, int64_t hidden_size, bool bias,
                                 int64_t num_chunks)
    : name_(std::move(name)), input_size_(input_size), hidden_size_(hidden_size), num_chunks_(num_chunks),
      bias_(bias) {
  reset();
}

void RNNCellImplBase::reset() {
  XGRAD_CHECK(input_size_ >= 0, ValueError, "{}: input_size must be non-negative, got {}", name_, input_size_);
  XGRAD_CHECK(hidden_size_ > 0, ValueError, "{}: hidden_size must be greater than zero, got {}", name_, hidden_size_);
  parameters_.clear();  // reset() may run again (re-creates the parameters)
  weight_ih = register_parameter("weight_ih", empty({num_chunks_ * hidden_size_, input_size_}));
  weight_hh = register_parameter("weight_hh", empty({num_chunks_ * hidden_size_, hidden_size_}));
  bias_ih = bias_hh = Tensor();
  if (bias_) {
    bias_ih = register_parameter("bias_ih", empty({num_chunks_ * hidden_size_}));
    bias_hh = register_parameter("bias_hh", empty({num_chunks_ * hidden_size_}));
  }
  reset_parameters();
}

void RNNCellImplBase::reset_parameters() {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
  for (auto& p : parameters_) init::uniform_(p.value(), -bound, bound);
}

std::string RNNCellImplBase::extra_repr() const {
  std::string s = fmt::format("{}, {}", input_size_, hidden_size_);
  if (!bias_) s += ", bias=False";
  if (nonlinearity_ != "tanh") s += ", nonlinearity=" + nonlinearity_;
  return s;
}

Tensor RNNCellImplBase::prepare_input(const Tensor& input, bool& batched) const {
  XGRAD_CHECK(input.defined(), ValueError, "{}: input is an undefined tensor", name_);
  XGRAD_CHECK(input.dim() == 1 || input.dim() == 2, ShapeError,
              "{}: Expected input to be 1-D or 2-D but received {}-D tensor (input {})", name_, input.dim(),
              to_string(input.sizes()));
  XGRAD_CHECK(input.size(-1) == input_size_, ShapeError,
              "{}: input has inconsistent input_size: got {}, expected {} (input {})", name_, input.size(-1),
              input_size_, to_string(input.sizes()));
  XGRAD_CHECK(input.scalar_type() == weight_ih.scalar_type(), TypeError, "{}: input must have the type {}, got type {}",
              name_, dtype_name(weight_ih.scalar_type()), dtype_name(input.scalar_type()));
  batched = input.dim() == 2;
  return batched ? input : input.unsqueeze(0);
}

Tensor RNNCellImplBase::prepare_state(const Tensor& state, const Tensor& x, bool batched, const char* what) const {
  if (!state.defined()) return zeros({x.size(0), hidden_size_}, TensorOptions().dtype(x.scalar_type()));
  XGRAD_CHECK(state.dim() == x.dim() - (batched ? 0 : 1), ShapeError,
              "{}: Expected {} to be {}-D as the input, but received {}-D tensor ({} {})", name_, what,
              batched ? 2 : 1, state.dim(), what, to_string(state.sizes()));
  const Tensor s = batched ? state : state.unsqueeze(0);
  XGRAD_CHECK(s.size(0) == x.size(0), ShapeError, "{}: Input batch size {} doesn't match {} batch size {}", name_,
              x.size(0), what, s.size(0));
  XGRAD_CHECK(s.size(1) == hidden_size_, ShapeError, "{}: {} has inconsistent hidden_size: got {}, expected {}", name_,
              what, s.size(1), hidden_size_);
  XGRAD_CHECK(s.scalar_type() == x.scalar_type(), TypeError, "{}: {} must have the type {} (as the input), got {}",
              name_, what, dtype_name(x.scalar_type()), dtype_name(s.scalar_type()));
  return s;
}

RNNCellImpl::RNNCellImpl(const RNNCellOptions& options_)
    : Cloneable("RNNCell", options_.input_size(), options_.hidden_size(), options_.bias(), 1), options(options_) {
  if (std::holds_alternative<enumtype::kReLU>(options.nonlinearity())) nonlinearity_ = "relu";
}

Tensor RNNCellImpl::forward(const Tensor& input, Tensor hx) {
  bool batched = true;
  const Tensor x = prepare_input(input, batched);
  const Tensor h = prepare_state(hx, x, batched, "hidden");
  const LayerWeights w{weight_ih, weight_hh, bias_ih, bias_hh, {}};
  const Tensor h1 = simple_step(functional::linear(x, weight_ih, bias_ih), h, w,
                                nonlinearity_ == "relu" ? Cell::kReLU : Cell::kTanh);
  return batched ? h1 : h1.squeeze(0);
}

LSTMCellImpl::LSTMCellImpl(const LSTMCellOptions& options_)
    : Cloneable("LSTMCell", options_.input_size(), options_.hidden_size(), options_.bias(), 4), options(options_) {}

std::tuple<Tensor, Tensor> LSTMCellImpl::forward(const Tensor& input, optional<std::tuple<Tensor, Tensor>> hx_opt) {
  bool batched = true;
  const Tensor x = prepare_input(input, batched);
  Tensor h_given, c_given;
  if (hx_opt) {
    std::tie(h_given, c_given) = *hx_opt;
    XGRAD_CHECK(h_given.defined() && c_given.defined(), ValueError,
                "LSTMCell: hx must hold two defined tensors (h_0, c_0)");
  }
  const Tensor h = prepare_state(h_given, x, batched, "hidden0");
  const Tensor c = prepare_state(c_given, x, batched, "hidden1");
  const LayerWeights w{weight_ih, weight_hh, bias_ih, bias_hh, {}};
  auto [h1, c1] = lstm_step(functional::linear(x, weight_ih, bias_ih), h, c, w);
  if (!batched) return {h1.squeeze(0), c1.squeeze(0)};
  return {h1, c1};
}

GRUCellImpl::GRUCellImpl(const GRUCellOptions& options_)
    : Cloneable("GRUCell", options_.input_size(), options_.hidden_size(), options_.bias(), 3), options(options_) {}

Tensor GRUCellImpl::forward(const Tensor& input, Tensor hx) {
  bool batched = true;
  const Tensor x = prepare_input(input, batched);
  const Tensor h = prepare_state(hx, x, batched, "hidden");
  const LayerWeights w{weight_ih, weight_hh, bias_ih, bias_hh, {}};
  const Tensor h1 = gru_step(functional::linear(x, weight_ih, bias_ih), h, w);
  return batched ? h1 : h1.squeeze(0);
}

}  // namespace xgrad::nn
