#pragma once
/// \file
/// Recurrent modules, as LibTorch's `torch/nn/modules/rnn.h`: `nn::LSTM`, `nn::GRU`, `nn::RNN`
/// (multi-layer, optionally bidirectional, over a whole sequence) and `nn::LSTMCell`,
/// `nn::GRUCell`, `nn::RNNCell` (one step).
///
///     xgrad::nn::LSTM lstm(xgrad::nn::LSTMOptions(4, 5).num_layers(2).batch_first(true));
///     auto [out, state] = lstm(xgrad::randn({3, 7, 4}));   // out [3, 7, 5]
///     auto [h_n, c_n] = state;                             // each [2, 3, 5]
///     xgrad::nn::GRU gru(4, 5);
///     auto [y, h] = gru(xgrad::randn({7, 3, 4}));          // y [7, 3, 5], h [1, 3, 5]
///     std::cout << *lstm;   // LSTM(4, 5, num_layers=2, batch_first=True)
///
/// They are composites of xgrad's differentiable ops (linear, sigmoid, tanh, relu, narrow,
/// stack, cat, dropout), so gradients of any order come from autograd. Parameters are named and
/// ordered as PyTorch's (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`,
/// `weight_hr_l0` with proj_size, `..._reverse` for the second direction) and start as PyTorch's
/// U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) drawn in that order, so after the same
/// `manual_seed` they hold PyTorch's values. Gate order in the stacked weights: LSTM i, f, g, o;
/// GRU r, z, n. No packed sequences (PackedSequence) and no cuDNN: `flatten_parameters()` does
/// nothing.

#include <xgrad/nn/cloneable.hpp>
#include <xgrad/nn/modules/any.hpp>
#include <xgrad/nn/options/rnn.hpp>
#include <xgrad/optional.hpp>

#include <string>
#include <tuple>
#include <vector>

namespace xgrad::nn {

namespace detail {

/// What LSTM, GRU and RNN share (LibTorch's `detail::RNNImplBase`): the options, the
/// parameters and the layer loop. Errors at construction (ValueError naming the module):
/// input_size < 0, hidden_size < 1, num_layers < 1, dropout outside [0, 1], proj_size < 0 or
/// >= hidden_size. dropout > 0 with one layer warns, as PyTorch.
class RNNImplBase : public Module {
 public:
  /// `name` is the subclass's ("LSTM"), for messages.
  RNNImplBase(std::string name, const RNNOptionsBase& options_base);
  /// Checks the options, (re)creates the parameters and initialises them.
  void reset();
  /// Every parameter drawn again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in
  /// registration order (PyTorch's reset_parameters).
  void reset_parameters();
  /// Nothing to do: xgrad has no cuDNN weight buffer (PyTorch's flatten_parameters on CPU).
  void flatten_parameters() {}
  /// The parameters in PyTorch's flat order (layer, direction, then w_ih, w_hh, b_ih, b_hh, w_hr).
  std::vector<Tensor> all_weights() const;
  /// PyTorch's text: "4, 5, num_layers=2, batch_first=True" (only values that differ from the
  /// defaults after the sizes).
  std::string extra_repr() const override;

  RNNOptionsBase options_base;

 protected:
  /// Checks `input` and returns it batched and sequence-first ([T, B, input_size]); `batched`
  /// tells whether it already was (3-D) or was one unbatched 2-D sequence. ShapeError for
  /// other ranks, a wrong feature size or an empty sequence, TypeError for a dtype other than
  /// the parameters'.
  Tensor prepare_input(const Tensor& input, bool& batched) const;
  /// Checks a given initial state against the expected sizes (`what` is "hx", "hx[0]", ...),
  /// after making an unbatched one batched; or zeros of those sizes when undefined.
  Tensor prepare_state(const Tensor& state, const Tensor& x, bool batched, int64_t features,
                       const char* what) const;
  /// The layer loop over a sequence-first batched input x [T, B, I] from states h0 (and c0 for
  /// LSTM) [layers * directions, B, *]: returns the last layer's output [T, B, directions * H]
  /// and the final states, stacked as h0 / c0.
  std::tuple<Tensor, Tensor, Tensor> run_layers(const Tensor& x, const Tensor& h0, const Tensor& c0);
  /// Undoes prepare_input's layout on the output.
  Tensor finish_output(Tensor out, bool batched) const;

  std::string name_;
  /// Parameter names per layer and direction, in PyTorch's order.
  std::vector<std::vector<std::string>> all_weights_;
};

}  // namespace detail

/// A multi-layer Elman RNN: per layer and step, h' = act(W_ih x + b_ih + W_hh h + b_hh) with act
/// tanh (default) or ReLU. Input [T, B, input_size] ([B, T, input_size] with batch_first) or one
/// unbatched sequence [T, input_size]; hx (optional, zeros by default) [layers * directions, B,
/// hidden_size] ([layers * directions, hidden_size] unbatched). Returns (output [T, B,
/// directions * hidden_size], h_n shaped as hx). Errors (naming RNN): input not 2-D or 3-D, a
/// wrong feature size, hx of another rank or sizes (ShapeError; PyTorch's words), a dtype other
/// than the weights' (TypeError). PyTorch: `nn.RNN`.
class RNNImpl : public Cloneable<RNNImpl, detail::RNNImplBase> {
 public:
  RNNImpl(int64_t input_size, int64_t hidden_size) : RNNImpl(RNNOptions(input_size, hidden_size)) {}
  explicit RNNImpl(const RNNOptions& options_);
  void reset() override { detail::RNNImplBase::reset(); }
  std::tuple<Tensor, Tensor> forward(const Tensor& input, Tensor hx = {});

  RNNOptions options;

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())})
};
XGRAD_MODULE(RNN);

/// A multi-layer LSTM: gates = W_ih x + b_ih + W_hh h + b_hh split as i, f, g, o; c' = σ(f) c +
/// σ(i) tanh(g), h' = σ(o) tanh(c') (then h' = W_hr h' with proj_size). Shapes as RNN; the
/// state is (h, c), c with hidden_size features and h with proj_size when set. Returns (output,
/// (h_n, c_n)). Errors as RNN ("Expected hidden[0] size ..." for the states). PyTorch: `nn.LSTM`.
class LSTMImpl : public Cloneable<LSTMImpl, detail::RNNImplBase> {
 public:
  LSTMImpl(int64_t input_size, int64_t hidden_size) : LSTMImpl(LSTMOptions(input_size, hidden_size)) {}
  explicit LSTMImpl(const LSTMOptions& options_);
  void reset() override { detail::RNNImplBase::reset(); }
  std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(const Tensor& input,
                                                         optional<std::tuple<Tensor, Tensor>> hx_opt = {});

  LSTMOptions options;

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(optional<std::tuple<Tensor, Tensor>>())})
};
XGRAD_MODULE(LSTM);

/// A multi-layer GRU: r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in x + b_in
/// + r (W_hn h + b_hn)), h' = (1 - z) n + z h. Shapes and errors as RNN. PyTorch: `nn.GRU`.
class GRUImpl : public Cloneable<GRUImpl, detail::RNNImplBase> {
 public:
  GRUImpl(int64_t input_size, int64_t hidden_size) : GRUImpl(GRUOptions(input_size, hidden_size)) {}
  explicit GRUImpl(const GRUOptions& options_);
  void reset() override { detail::RNNImplBase::reset(); }
  std::tuple<Tensor, Tensor> forward(const Tensor& input, Tensor hx = {});

  GRUOptions options;

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())})
};
XGRAD_MODULE(GRU);

namespace detail {

/// What the cells share (LibTorch's `detail::RNNCellImplBase`): weight_ih [chunks * H, I],
/// weight_hh [chunks * H, H], bias_ih and bias_hh [chunks * H] (undefined without bias), all
/// U(-1/sqrt(H), 1/sqrt(H)) in that order. ValueError naming the cell for input_size < 0 or
/// hidden_size < 1.
class RNNCellImplBase : public Module {
 public:
  RNNCellImplBase(std::string name, int64_t input_size, int64_t hidden_size, bool bias, int64_t num_chunks);
  void reset();
  void reset_parameters();
  /// "4, 5" (", bias=False", ", nonlinearity=relu" when not the defaults).
  std::string extra_repr() const override;

  Tensor weight_ih;
  Tensor weight_hh;
  Tensor bias_ih;
  Tensor bias_hh;

 protected:
  /// The input as a batch [B, I] (`batched` false for a 1-D input). ShapeError for other ranks
  /// or a wrong feature size, TypeError for another dtype than the weights'.
  Tensor prepare_input(const Tensor& input, bool& batched) const;
  /// A given state checked against [B, H] (after unsqueezing an unbatched one), or zeros.
  Tensor prepare_state(const Tensor& state, const Tensor& x, bool batched, const char* what) const;

  std::string name_;
  int64_t input_size_, hidden_size_, num_chunks_;
  bool bias_;
  std::string nonlinearity_ = "tanh";
};

}  // namespace detail

/// One Elman RNN step: h' = act(W_ih x + b_ih + W_hh h + b_hh). Input [B, input_size] or
/// [input_size], hx (optional, zeros by default) [B, hidden_size] or [hidden_size]; returns h'
/// shaped as hx. Errors (naming RNNCell): input not 1-D or 2-D, wrong sizes (ShapeError),
/// another dtype (TypeError). PyTorch: `nn.RNNCell`.
class RNNCellImpl : public Cloneable<RNNCellImpl, detail::RNNCellImplBase> {
 public:
  RNNCellImpl(int64_t input_size, int64_t hidden_size) : RNNCellImpl(RNNCellOptions(input_size, hidden_size)) {}
  explicit RNNCellImpl(const RNNCellOptions& options_);
  void reset() override { detail::RNNCellImplBase::reset(); }
  Tensor forward(const Tensor& input, Tensor hx = {});

  RNNCellOptions options;

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())})
};
XGRAD_MODULE(RNNCell);

/// One LSTM step (gates i, f, g, o as LSTM); hx is (h, c). Returns (h', c'). As RNNCell
/// otherwise. PyTorch: `nn.LSTMCell`.
class LSTMCellImpl : public Cloneable<LSTMCellImpl, detail::RNNCellImplBase> {
 public:
  LSTMCellImpl(int64_t input_size, int64_t hidden_size) : LSTMCellImpl(LSTMCellOptions(input_size, hidden_size)) {}
  explicit LSTMCellImpl(const LSTMCellOptions& options_);
  void reset() override { detail::RNNCellImplBase::reset(); }
  std::tuple<Tensor, Tensor> forward(const Tensor& input, optional<std::tuple<Tensor, Tensor>> hx_opt = {});

  LSTMCellOptions options;

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(optional<std::tuple<Tensor, Tensor>>())})
};
XGRAD_MODULE(LSTMCell);

/// One GRU step (gates r, z, n as GRU). As RNNCell otherwise. PyTorch: `nn.GRUCell`.
class GRUCellImpl : public Cloneable<GRUCellImpl, detail::RNNCellImplBase> {
 public:
  GRUCellImpl(int64_t input_size, int64_t hidden_size) : GRUCellImpl(GRUCellOptions(input_size, hidden_size)) {}
  explicit GRUCellImpl(const GRUCellOptions& options_);
  void reset() override { detail::RNNCellImplBase::reset(); }
  Tensor forward(const Tensor& input, Tensor hx = {});

  GRUCellOptions options;

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())})
};
XGRAD_MODULE(GRUCell);

}  // namespace xgrad::nn
