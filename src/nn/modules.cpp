// The built-in modules: construction-time argument checks, PyTorch's default initialisation,
// forward through nn::functional, and PyTorch's extra_repr text for printing.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/init.hpp>
#include <xgrad/nn/modules.hpp>

#include <fmt/format.h>

#include <cmath>

namespace xgrad::nn {

namespace {

// Python's repr of a float: shortest round-trip digits, always with a '.' ("0.5", "1.0").
std::string py_float(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// A 2-tuple as Python prints it: "(5, 5)".
template <typename T>
std::string py_tuple(const std::array<T, 2>& a) {
  return fmt::format("({}, {})", a[0], a[1]);
}

// A pooling size: PyTorch prints it as the user gave it; an int given to a LibTorch-style
// ExpandingArray cannot be told from a tuple of equal values, so equal values print as one int.
std::string py_size(const ExpandingArray<2>& a) {
  return a[0] == a[1] ? fmt::format("{}", a[0]) : py_tuple(*a);
}

std::string py_optional(const std::optional<int64_t>& v) { return v ? fmt::format("{}", *v) : "None"; }

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight (kaiming_uniform_ with a = sqrt(5)) and bias, as
// PyTorch's Linear and Conv2d reset_parameters.
void default_layer_init(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto [fan_in, fan_out] = init::_calculate_fan_in_and_fan_out(weight);
    (void)fan_out;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

}  // namespace

// ---- Functional ---------------------------------------------------------------------------------

FunctionalImpl::FunctionalImpl(Function function) : function_(std::move(function)) {
  XGRAD_CHECK(static_cast<bool>(function_), ValueError, "Functional: the function must not be empty");
}

Tensor FunctionalImpl::forward(Tensor input) { return function_(std::move(input)); }

// ---- Sequential ---------------------------------------------------------------------------------

void SequentialImpl::extend(const SequentialImpl& other) {
  for (const auto& item : other.items_) {
    const std::string name = std::to_string(items_.size());
    register_module(name, item.module);
    items_.push_back(item);
  }
}

Tensor SequentialImpl::forward(const Tensor& input) {
  XGRAD_CHECK(!items_.empty(), ValueError, "Sequential: cannot call forward() on an empty Sequential");
  Tensor x = items_.front().forward(input);
  for (size_t i = 1; i < items_.size(); ++i) x = items_[i].forward(x);
  return x;
}

std::shared_ptr<Module> SequentialImpl::ptr(size_t index) const {
  XGRAD_CHECK(index < items_.size(), IndexError, "Sequential: index {} is out of range for a Sequential of {} modules",
              index, items_.size());
  return items_[index].module;
}

// ---- Linear, Flatten ------------------------------------------------------------------------------

LinearImpl::LinearImpl(const LinearOptions& options_) : options(options_) {
  XGRAD_CHECK(options.in_features() >= 0, ValueError, "Linear: in_features must be non-negative, got {}",
              options.in_features());
  XGRAD_CHECK(options.out_features() >= 0, ValueError, "Linear: out_features must be non-negative, got {}",
              options.out_features());
  reset();
}

void LinearImpl::reset() {
  parameters_.clear();  // reset() may run again (re-creates the parameters)
  weight = register_parameter("weight", empty({options.out_features(), options.in_features()}));
  if (options.bias()) bias = register_parameter("bias", empty({options.out_features()}));
  reset_parameters();
}

void LinearImpl::reset_parameters() { default_layer_init(weight, bias); }

Tensor LinearImpl::forward(const Tensor& input) { return functional::linear(input, weight, bias); }

std::string LinearImpl::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", options.in_features(), options.out_features(),
                     py_bool(options.bias()));
}

FlattenImpl::FlattenImpl(const FlattenOptions& options_) : options(options_) {}

Tensor FlattenImpl::forward(const Tensor& input) {
  return functional::flatten(input, options.start_dim(), options.end_dim());
}

std::string FlattenImpl::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", options.start_dim(), options.end_dim());
}

// ---- activations --------------------------------------------------------------------------------

Tensor ReLUImpl::forward(Tensor input) { return functional::relu(input, options); }
std::string ReLUImpl::extra_repr() const { return options.inplace() ? "inplace=True" : ""; }
Tensor SigmoidImpl::forward(const Tensor& input) { return functional::sigmoid(input); }
Tensor TanhImpl::forward(const Tensor& input) { return functional::tanh(input); }
Tensor SoftmaxImpl::forward(const Tensor& input) { return functional::softmax(input, options.dim()); }
std::string SoftmaxImpl::extra_repr() const { return fmt::format("dim={}", options.dim()); }
Tensor LogSoftmaxImpl::forward(const Tensor& input) { return functional::log_softmax(input, options.dim()); }
std::string LogSoftmaxImpl::extra_repr() const { return fmt::format("dim={}", options.dim()); }

// ---- Dropout ------------------------------------------------------------------------------------

DropoutImpl::DropoutImpl(const DropoutOptions& options_) : options(options_) { reset(); }

void DropoutImpl::reset() {
  XGRAD_CHECK(options.p() >= 0.0 && options.p() <= 1.0, ValueError,
              "Dropout: dropout probability has to be between 0 and 1, but got {}", options.p());
}

Tensor DropoutImpl::forward(Tensor input) {
  return functional::dropout(
      input, functional::DropoutFuncOptions().p(options.p()).inplace(options.inplace()).training(is_training()));
}

std::string DropoutImpl::extra_repr() const {
  return fmt::format("p={}, inplace={}", py_float(options.p()), py_bool(options.inplace()));
}

// ---- Conv2d -------------------------------------------------------------------------------------

Conv2dImpl::Conv2dImpl(Conv2dOptions options_) : options(std::move(options_)) { reset(); }

void Conv2dImpl::reset() {
  const auto& o = options;
  XGRAD_CHECK(o.in_channels() > 0, ValueError, "Conv2d: in_channels must be positive, got {}", o.in_channels());
  XGRAD_CHECK(o.out_channels() > 0, ValueError, "Conv2d: out_channels must be positive, got {}", o.out_channels());
  XGRAD_CHECK(o.groups() > 0, ValueError, "Conv2d: groups must be a positive integer, got {}", o.groups());
  XGRAD_CHECK(o.in_channels() % o.groups() == 0, ValueError,
              "Conv2d: in_channels ({}) must be divisible by groups ({})", o.in_channels(), o.groups());
  XGRAD_CHECK(o.out_channels() % o.groups() == 0, ValueError,
              "Conv2d: out_channels ({}) must be divisible by groups ({})", o.out_channels(), o.groups());
  for (size_t i = 0; i < 2; ++i) {
    XGRAD_CHECK(o.kernel_size()[i] > 0, ValueError, "Conv2d: kernel_size must be positive, got {}",
                py_tuple(*o.kernel_size()));
    XGRAD_CHECK(o.stride()[i] > 0, ValueError, "Conv2d: stride must be positive, got {}", py_tuple(*o.stride()));
    XGRAD_CHECK(o.dilation()[i] > 0, ValueError, "Conv2d: dilation must be positive, got {}",
                py_tuple(*o.dilation()));
  }
  if (const auto* pad = std::get_if<ExpandingArray<2>>(&o.padding())) {
    XGRAD_CHECK((*pad)[0] >= 0 && (*pad)[1] >= 0, ValueError, "Conv2d: padding must be non-negative, got {}",
                py_tuple(**pad));
  } else if (std::holds_alternative<enumtype::kSame>(o.padding())) {
    XGRAD_CHECK(o.stride()[0] == 1 && o.stride()[1] == 1, ValueError,
                "Conv2d: padding='same' is not supported for strided convolutions (stride {})", py_tuple(*o.stride()));
  }
  XGRAD_CHECK(std::holds_alternative<enumtype::kZeros>(o.padding_mode()), ValueError,
              "Conv2d: padding_mode {} is not supported; only kZeros is implemented",
              enumtype::get_enum_name(o.padding_mode()));
  parameters_.clear();  // reset() may run again (re-creates the parameters)
  weight = register_parameter("weight", empty({o.out_channels(), o.in_channels() / o.groups(), o.kernel_size()[0],
                                               o.kernel_size()[1]}));
  if (o.bias()) bias = register_parameter("bias", empty({o.out_channels()}));
  reset_parameters();
}

void Conv2dImpl::reset_parameters() { default_layer_init(weight, bias); }

Tensor Conv2dImpl::forward(const Tensor& input) {
  return functional::conv2d(input, weight,
                            functional::Conv2dFuncOptions()
                                .bias(bias)
                                .stride(options.stride())
                                .padding(options.padding())
                                .dilation(options.dilation())
                                .groups(options.groups()));
}

std::string Conv2dImpl::extra_repr() const {
  const auto& o = options;
  std::string s = fmt::format("{}, {}, kernel_size={}, stride={}", o.in_channels(), o.out_channels(),
                              py_tuple(*o.kernel_size()), py_tuple(*o.stride()));
  if (const auto* pad = std::get_if<ExpandingArray<2>>(&o.padding())) {
    if ((*pad)[0] != 0 || (*pad)[1] != 0) s += fmt::format(", padding={}", py_tuple(**pad));
  } else {
    s += std::holds_alternative<enumtype::kSame>(o.padding()) ? ", padding=same" : ", padding=valid";
  }
  if (o.dilation()[0] != 1 || o.dilation()[1] != 1) s += fmt::format(", dilation={}", py_tuple(*o.dilation()));
  if (o.groups() != 1) s += fmt::format(", groups={}", o.groups());
  if (!o.bias()) s += ", bias=False";
  return s;
}

// ---- pooling ------------------------------------------------------------------------------------

MaxPool2dImpl::MaxPool2dImpl(const MaxPool2dOptions& options_) : options(options_) { reset(); }

void MaxPool2dImpl::reset() {
  for (size_t i = 0; i < 2; ++i) {
    XGRAD_CHECK(options.kernel_size()[i] > 0, ValueError, "MaxPool2d: kernel_size must be positive, got {}",
                py_tuple(*options.kernel_size()));
    XGRAD_CHECK(options.stride()[i] > 0, ValueError, "MaxPool2d: stride must be positive, got {}",
                py_tuple(*options.stride()));
    XGRAD_CHECK(options.dilation()[i] > 0, ValueError, "MaxPool2d: dilation must be positive, got {}",
                py_tuple(*options.dilation()));
    XGRAD_CHECK(options.padding()[i] >= 0, ValueError, "MaxPool2d: padding must be non-negative, got {}",
                py_tuple(*options.padding()));
  }
}

Tensor MaxPool2dImpl::forward(const Tensor& input) { return functional::max_pool2d(input, options); }

std::tuple<Tensor, Tensor> MaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool2d_with_indices(input, options);
}

std::string MaxPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}", py_size(options.kernel_size()),
                     py_size(options.stride()), py_size(options.padding()), py_size(options.dilation()),
                     py_bool(options.ceil_mode()));
}

AvgPool2dImpl::AvgPool2dImpl(const AvgPool2dOptions& options_) : options(options_) { reset(); }

void AvgPool2dImpl::reset() {
  for (size_t i = 0; i < 2; ++i) {
    XGRAD_CHECK(options.kernel_size()[i] > 0, ValueError, "AvgPool2d: kernel_size must be positive, got {}",
                py_tuple(*options.kernel_size()));
    XGRAD_CHECK(options.stride()[i] > 0, ValueError, "AvgPool2d: stride must be positive, got {}",
                py_tuple(*options.stride()));
    XGRAD_CHECK(options.padding()[i] >= 0 && options.padding()[i] * 2 <= options.kernel_size()[i], ValueError,
                "AvgPool2d: padding should be non-negative and at most half of kernel_size, got padding {} for "
                "kernel_size {}",
                py_tuple(*options.padding()), py_tuple(*options.kernel_size()));
  }
  XGRAD_CHECK(!options.divisor_override() || *options.divisor_override() != 0, ValueError,
              "AvgPool2d: divisor_override must not be zero");
}

Tensor AvgPool2dImpl::forward(const Tensor& input) { return functional::avg_pool2d(input, options); }

std::string AvgPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", py_size(options.kernel_size()),
                     py_size(options.stride()), py_size(options.padding()));
}

AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options_) : options(options_) {
  reset();
}

void AdaptiveAvgPool2dImpl::reset() {
  for (size_t i = 0; i < 2; ++i) {
    const auto& v = options.output_size()[i];
    XGRAD_CHECK(!v || *v >= 0, ValueError, "AdaptiveAvgPool2d: output_size must be non-negative, got {}", *v);
  }
}

Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) { return functional::adaptive_avg_pool2d(input, options); }

std::string AdaptiveAvgPool2dImpl::extra_repr() const {
  // Printed as a tuple, the common spelling (`AdaptiveAvgPool2d((1, 1))`); see py_size.
  const auto& o = options.output_size();
  return fmt::format("output_size=({}, {})", py_optional(o[0]), py_optional(o[1]));
}

// ---- losses -------------------------------------------------------------------------------------

L1LossImpl::L1LossImpl(L1LossOptions options_) : options(std::move(options_)) {}
void L1LossImpl::reset() {}
Tensor L1LossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::l1_loss(input, target, options);
}

MSELossImpl::MSELossImpl(MSELossOptions options_) : options(std::move(options_)) {}
void MSELossImpl::reset() {}
Tensor MSELossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::mse_loss(input, target, options);
}

SmoothL1LossImpl::SmoothL1LossImpl(SmoothL1LossOptions options_) : options(std::move(options_)) { reset(); }
void SmoothL1LossImpl::reset() {
  XGRAD_CHECK(options.beta() >= 0.0, ValueError, "SmoothL1Loss: beta must be non-negative, got {}", options.beta());
}
Tensor SmoothL1LossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::smooth_l1_loss(input, target, options);
}

HuberLossImpl::HuberLossImpl(HuberLossOptions options_) : options(std::move(options_)) { reset(); }
void HuberLossImpl::reset() {
  XGRAD_CHECK(options.delta() > 0.0, ValueError, "HuberLoss: delta must be positive, got {}", options.delta());
}
Tensor HuberLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::huber_loss(input, target, options);
}

NLLLossImpl::NLLLossImpl(NLLLossOptions options_) : options(std::move(options_)) { reset(); }
void NLLLossImpl::reset() {
  buffers_.clear();
  weight = register_buffer("weight", options.weight());
}
Tensor NLLLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::nll_loss(input, target, NLLLossOptions(options).weight(weight));
}

CrossEntropyLossImpl::CrossEntropyLossImpl(CrossEntropyLossOptions options_) : options(std::move(options_)) {
  reset();
}
void CrossEntropyLossImpl::reset() {
  XGRAD_CHECK(options.label_smoothing() >= 0.0 && options.label_smoothing() <= 1.0, ValueError,
              "CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got {}", options.label_smoothing());
  buffers_.clear();
  weight = register_buffer("weight", options.weight());
}
Tensor CrossEntropyLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::cross_entropy(input, target, CrossEntropyLossOptions(options).weight(weight));
}

BCEWithLogitsLossImpl::BCEWithLogitsLossImpl(BCEWithLogitsLossOptions options_) : options(std::move(options_)) {
  reset();
}
void BCEWithLogitsLossImpl::reset() {
  buffers_.clear();
  weight = register_buffer("weight", options.weight());
  pos_weight = register_buffer("pos_weight", options.pos_weight());
}
Tensor BCEWithLogitsLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy_with_logits(
      input, target, BCEWithLogitsLossOptions(options).weight(weight).pos_weight(pos_weight));
}

}  // namespace xgrad::nn
