#pragma once
/// \file
/// Options of the recurrent modules, as LibTorch's `torch/nn/options/rnn.h`:
///
///     xgrad::nn::LSTM lstm(xgrad::nn::LSTMOptions(4, 5).num_layers(2).batch_first(true).bidirectional(true));
///     xgrad::nn::RNN rnn(xgrad::nn::RNNOptions(4, 5).nonlinearity(xgrad::kReLU));
///     xgrad::nn::GRUCell cell(xgrad::nn::GRUCellOptions(4, 5).bias(false));

#include <xgrad/arg.hpp>
#include <xgrad/enum.hpp>

#include <cstdint>
#include <variant>

// The kinds of recurrent layer (LibTorch's torch::kLSTM, ...), for RNNOptionsBase::mode.
XGRAD_ENUM_DECLARE(LSTM)
XGRAD_ENUM_DECLARE(GRU)
XGRAD_ENUM_DECLARE(RNN_TANH)
XGRAD_ENUM_DECLARE(RNN_RELU)

namespace xgrad::nn {

namespace detail {

/// The options every multi-layer recurrent module keeps (LibTorch's `detail::RNNOptionsBase`):
/// the mode says which cell (kLSTM, kGRU, kRNN_TANH, kRNN_RELU); proj_size is LSTM's only.
struct RNNOptionsBase {
  using rnn_options_base_mode_t =
      std::variant<enumtype::kLSTM, enumtype::kGRU, enumtype::kRNN_TANH, enumtype::kRNN_RELU>;
  RNNOptionsBase(rnn_options_base_mode_t mode, int64_t input_size, int64_t hidden_size)
      : mode_(mode), input_size_(input_size), hidden_size_(hidden_size) {}
  XGRAD_ARG(rnn_options_base_mode_t, mode);
  XGRAD_ARG(int64_t, input_size);
  XGRAD_ARG(int64_t, hidden_size);
  XGRAD_ARG(int64_t, num_layers) = 1;
  XGRAD_ARG(bool, bias) = true;
  XGRAD_ARG(bool, batch_first) = false;
  XGRAD_ARG(double, dropout) = 0.0;
  XGRAD_ARG(bool, bidirectional) = false;
  XGRAD_ARG(int64_t, proj_size) = 0;
};

}  // namespace detail

/// `RNNOptions(input_size, hidden_size)`: an Elman RNN, h' = act(W_ih x + b_ih + W_hh h + b_hh).
struct RNNOptions {
  using nonlinearity_t = std::variant<enumtype::kTanh, enumtype::kReLU>;
  RNNOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  /// Features of each input step.
  XGRAD_ARG(int64_t, input_size);
  /// Features of the hidden state (> 0).
  XGRAD_ARG(int64_t, hidden_size);
  /// Stacked layers (>= 1); layer k > 0 reads layer k-1's output.
  XGRAD_ARG(int64_t, num_layers) = 1;
  /// `xgrad::kTanh` or `xgrad::kReLU`.
  XGRAD_ARG(nonlinearity_t, nonlinearity) = xgrad::kTanh;
  /// Whether the layers learn the biases b_ih and b_hh.
  XGRAD_ARG(bool, bias) = true;
  /// Input and output are [batch, seq, feature] instead of [seq, batch, feature] (not the states).
  XGRAD_ARG(bool, batch_first) = false;
  /// Dropout probability on the outputs of every layer but the last, in training mode; in [0, 1].
  XGRAD_ARG(double, dropout) = 0.0;
  /// Runs a second layer over the reversed sequence and concatenates both outputs.
  XGRAD_ARG(bool, bidirectional) = false;
};

/// `LSTMOptions(input_size, hidden_size)`: as RNNOptions (no nonlinearity), plus proj_size.
struct LSTMOptions {
  LSTMOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  XGRAD_ARG(int64_t, input_size);
  XGRAD_ARG(int64_t, hidden_size);
  XGRAD_ARG(int64_t, num_layers) = 1;
  XGRAD_ARG(bool, bias) = true;
  XGRAD_ARG(bool, batch_first) = false;
  XGRAD_ARG(double, dropout) = 0.0;
  XGRAD_ARG(bool, bidirectional) = false;
  /// When > 0 (and < hidden_size), h is projected to proj_size features by weight_hr_l<k>.
  XGRAD_ARG(int64_t, proj_size) = 0;
};

/// `GRUOptions(input_size, hidden_size)`: as RNNOptions, without a nonlinearity.
struct GRUOptions {
  GRUOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  XGRAD_ARG(int64_t, input_size);
  XGRAD_ARG(int64_t, hidden_size);
  XGRAD_ARG(int64_t, num_layers) = 1;
  XGRAD_ARG(bool, bias) = true;
  XGRAD_ARG(bool, batch_first) = false;
  XGRAD_ARG(double, dropout) = 0.0;
  XGRAD_ARG(bool, bidirectional) = false;
};

/// `RNNCellOptions(input_size, hidden_size).bias(true).nonlinearity(xgrad::kTanh)`: one step.
struct RNNCellOptions {
  using nonlinearity_t = std::variant<enumtype::kTanh, enumtype::kReLU>;
  RNNCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  XGRAD_ARG(int64_t, input_size);
  XGRAD_ARG(int64_t, hidden_size);
  XGRAD_ARG(bool, bias) = true;
  XGRAD_ARG(nonlinearity_t, nonlinearity) = xgrad::kTanh;
};

/// `LSTMCellOptions(input_size, hidden_size).bias(true)`: one LSTM step.
struct LSTMCellOptions {
  LSTMCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  XGRAD_ARG(int64_t, input_size);
  XGRAD_ARG(int64_t, hidden_size);
  XGRAD_ARG(bool, bias) = true;
};

/// `GRUCellOptions(input_size, hidden_size).bias(true)`: one GRU step.
struct GRUCellOptions {
  GRUCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  XGRAD_ARG(int64_t, input_size);
  XGRAD_ARG(int64_t, hidden_size);
  XGRAD_ARG(bool, bias) = true;
};

}  // namespace xgrad::nn
