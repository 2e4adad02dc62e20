// The nn half of the bad-input registry (issue 11, item 7): every free function of the nn
// functional, init, utils and summary headers, every module (XGRAD_MODULE holder), nn::Module's
// input-taking methods, every optimizer and every LR scheduler has at least one bad input here,
// asserting the typed error and that its message names the op / module / optimizer. The coverage
// cases scan the headers, so a new function, module, optimizer or scheduler without an entry
// fails the test. (The core half is tests/core/bad_input_registry.cpp.)
#define BOOST_TEST_MODULE nn_bad_input_registry
#include <xgrad/xgrad.hpp>

#include <boost/test/unit_test.hpp>

#include "support/bad_input_registry.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <typeinfo>
#include <algorithm>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace xgrad;
namespace F = xgrad::nn::functional;
namespace init = xgrad::nn::init;

namespace {

using xgrad::testing::Entry;
using xgrad::testing::Kind;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor x4() { return randn({2, 3, 5, 5}); }
Tensor param() { return randn({2, 3}, TensorOptions().requires_grad(true)); }

// A small module with one parameter, a buffer and a child, for nn::Module's methods.
struct NetImpl : nn::Module {
  NetImpl() {
    fc = register_module("fc", nn::Linear(3, 2));
    register_buffer("steps", zeros({1}));
  }
  Tensor forward(const Tensor& x) { return fc(x); }
  nn::Linear fc{nullptr};
};
XGRAD_MODULE(Net);

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      // ---- include/xgrad/nn/functional/activation.hpp ------------------------------------------
      {"relu", "relu", Kind::kValue, [] { F::relu(Tensor()); }, ""},
      {"sigmoid", "sigmoid", Kind::kValue, [] { F::sigmoid(Tensor()); }, ""},
      {"tanh", "tanh", Kind::kValue, [] { F::tanh(Tensor()); }, ""},
      {"softmax", "softmax", Kind::kIndex, [] { F::softmax(randn({2, 3}), F::SoftmaxFuncOptions(2)); }, ""},
      {"log_softmax", "log_softmax", Kind::kIndex,
       [] { F::log_softmax(randn({2, 3}), F::LogSoftmaxFuncOptions(-3)); }, ""},
      {"leaky_relu", "leaky_relu", Kind::kType, [] { F::leaky_relu(tensor({1, 2})); }, ""},
      {"leaky_relu", "leaky_relu", Kind::kValue, [] { xgrad::leaky_relu(Tensor()); }, ""},
      {"leaky_relu_", "leaky_relu_", Kind::kAutograd, [] { Tensor p = param(); xgrad::leaky_relu_(p); }, ""},
      {"elu", "elu", Kind::kType, [] { F::elu(tensor({1, 2})); }, ""},
      {"elu", "elu", Kind::kValue, [] { xgrad::elu(Tensor(), 0.5); }, ""},
      {"elu_", "elu_", Kind::kAutograd, [] { Tensor p = param(); xgrad::elu_(p); }, ""},
      {"gelu", "gelu", Kind::kValue, [] { F::gelu(randn({2}), F::GELUFuncOptions().approximate("erf")); }, ""},
      {"gelu", "gelu", Kind::kType, [] { xgrad::gelu(tensor({1, 2})); }, ""},
      {"silu", "silu", Kind::kType, [] { F::silu(tensor({true})); }, ""},
      {"softplus", "softplus", Kind::kType, [] { F::softplus(tensor({1, 2})); }, ""},
      {"softplus", "softplus", Kind::kValue, [] { xgrad::softplus(Tensor(), 2.0, 10.0); }, ""},
      {"logsigmoid", "log_sigmoid", Kind::kType, [] { F::logsigmoid(tensor({1, 2})); }, ""},
      {"log_sigmoid", "log_sigmoid", Kind::kValue, [] { xgrad::log_sigmoid(Tensor()); }, ""},
      // hardtanh clamps any dtype (integral too, as PyTorch) and min_val > max_val is clamp's
      // "everything becomes max_val": the bad input left is an undefined tensor.
      {"hardtanh", "hardtanh", Kind::kValue, [] { F::hardtanh(Tensor()); }, ""},
      {"relu6", "relu6", Kind::kValue, [] { F::relu6(Tensor()); }, ""},
      {"hardtanh_", "hardtanh_", Kind::kAutograd, [] { Tensor p = param(); xgrad::hardtanh_(p, -2.0, 2.0); }, ""},
      // ---- functional/batchnorm.hpp -------------------------------------------------------------
      {"batch_norm", "batch_norm", Kind::kShape, [] { F::batch_norm(x4(), zeros({4}), ones({4})); }, ""},
      // ---- functional/conv.hpp ------------------------------------------------------------------
      {"conv2d", "conv2d", Kind::kShape, [] { F::conv2d(x4(), randn({4, 2, 3, 3})); }, ""},
      {"conv2d", "conv2d", Kind::kValue,
       [] { F::conv2d(x4(), randn({4, 3, 3, 3}), F::Conv2dFuncOptions().stride(0)); }, ""},
      // ---- functional/dropout.hpp ---------------------------------------------------------------
      {"dropout", "dropout", Kind::kValue, [] { F::dropout(x4(), F::DropoutFuncOptions().p(1.5)); }, ""},
      {"dropout2d", "dropout2d", Kind::kValue, [] { F::dropout2d(x4(), F::Dropout2dFuncOptions().p(-0.5)); }, ""},
      {"normalize", "normalize", Kind::kIndex, [] { F::normalize(randn({2, 3}), F::NormalizeFuncOptions().dim(2)); },
       ""},
      // ---- functional/embedding.hpp -------------------------------------------------------------
      {"one_hot", "one_hot", Kind::kType, [] { F::one_hot(randn({3})); }, ""},
      {"embedding", "embedding", Kind::kIndex, [] { F::embedding(tensor({0, 5}, TensorOptions(kInt64)), randn({5, 3})); },
       ""},
      {"embedding", "embedding", Kind::kType, [] { xgrad::embedding(randn({5, 3}), randn({2})); }, ""},
      {"embedding_renorm_", "embedding_renorm_", Kind::kValue,
       [] {
         Tensor w = randn({5, 3});
         xgrad::embedding_renorm_(w, tensor({0, 1}, TensorOptions(kInt64)), -1.0, 2.0);
       },
       ""},
      // ---- functional/linear.hpp ----------------------------------------------------------------
      {"linear", "linear", Kind::kShape, [] { F::linear(randn({2, 3}), randn({4, 5})); }, ""},
      {"flatten", "flatten", Kind::kIndex, [] { F::flatten(randn({2, 3}), 0, 5); }, ""},
      // ---- functional/loss.hpp ------------------------------------------------------------------
      {"mse_loss", "mse_loss", Kind::kShape, [] { F::mse_loss(randn({2, 3}), randn({4, 5})); }, ""},
      {"l1_loss", "l1_loss", Kind::kShape, [] { F::l1_loss(randn({2, 3}), randn({4, 5})); }, ""},
      {"smooth_l1_loss", "smooth_l1_loss", Kind::kValue,
       [] { F::smooth_l1_loss(randn({3}), randn({3}), F::SmoothL1LossFuncOptions().beta(-1.0)); }, ""},
      {"huber_loss", "huber_loss", Kind::kValue,
       [] { F::huber_loss(randn({3}), randn({3}), F::HuberLossFuncOptions().delta(0.0)); }, ""},
      {"nll_loss", "nll_loss", Kind::kIndex,
       [] { F::nll_loss(randn({2, 3}), tensor({0, 7}, TensorOptions(kInt64))); }, ""},
      {"cross_entropy", "cross_entropy", Kind::kShape,
       [] { F::cross_entropy(randn({2, 3}), tensor({0, 1, 2}, TensorOptions(kInt64))); }, ""},
      {"binary_cross_entropy", "binary_cross_entropy", Kind::kValue,
       [] { F::binary_cross_entropy(tensor({0.5, 1.5}), tensor({0.0, 1.0})); }, ""},
      {"binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits", Kind::kShape,
       [] { F::binary_cross_entropy_with_logits(randn({2, 3}), rand({3, 2})); }, ""},
      // ---- functional/pooling.hpp ---------------------------------------------------------------
      {"max_pool2d", "max_pool2d", Kind::kValue, [] { xgrad::max_pool2d(x4(), {0, 0}); }, ""},
      {"max_pool2d", "max_pool2d", Kind::kValue, [] { xgrad::max_pool2d(x4(), {2, 2}, {}, {2, 2}); }, ""},
      {"max_pool2d_with_indices", "max_pool2d_with_indices", Kind::kValue,
       [] { xgrad::max_pool2d_with_indices(x4(), {-1, 2}); }, ""},
      {"avg_pool2d", "avg_pool2d", Kind::kValue, [] { xgrad::avg_pool2d(x4(), {2, 2}, {0, 1}); }, ""},
      {"adaptive_avg_pool2d", "adaptive_avg_pool2d", Kind::kValue, [] { xgrad::adaptive_avg_pool2d(x4(), {-1, 2}); }, ""},
      {"adaptive_max_pool2d", "adaptive_max_pool2d", Kind::kValue, [] { xgrad::adaptive_max_pool2d(x4(), {-1, 2}); }, ""},
      {"adaptive_max_pool2d_with_indices", "adaptive_max_pool2d", Kind::kShape,
       [] { F::adaptive_max_pool2d_with_indices(randn({5}), F::AdaptiveMaxPool2dFuncOptions(2)); }, ""},
      // ---- include/xgrad/nn/init.hpp ------------------------------------------------------------
      {"calculate_gain", "calculate_gain", Kind::kValue, [] { init::calculate_gain(xgrad::kLeakyReLU, kNaN); }, ""},
      {"_calculate_fan_in_and_fan_out", "_calculate_fan_in_and_fan_out", Kind::kValue,
       [] { init::_calculate_fan_in_and_fan_out(randn({4})); }, ""},
      {"constant_", "constant_", Kind::kValue, [] { init::constant_(Tensor(), 1.0); }, ""},
      {"ones_", "ones_", Kind::kValue, [] { init::ones_(Tensor()); }, ""},
      {"zeros_", "zeros_", Kind::kValue, [] { init::zeros_(Tensor()); }, ""},
      {"uniform_", "uniform_", Kind::kValue, [] { init::uniform_(randn({3}), 2.0, 1.0); }, ""},
      {"normal_", "normal_", Kind::kValue, [] { init::normal_(randn({3}), 0.0, -1.0); }, ""},
      {"kaiming_uniform_", "kaiming_uniform_", Kind::kValue, [] { init::kaiming_uniform_(randn({4})); }, ""},
      {"kaiming_normal_", "kaiming_normal_", Kind::kValue, [] { init::kaiming_normal_(randn({4})); }, ""},
      {"xavier_uniform_", "xavier_uniform_", Kind::kValue, [] { init::xavier_uniform_(randn({4})); }, ""},
      {"orthogonal_", "orthogonal_", Kind::kValue, [] { init::orthogonal_(randn({4})); }, ""},
      {"xavier_normal_", "xavier_normal_", Kind::kValue, [] { init::xavier_normal_(randn({4})); }, ""},
      // ---- include/xgrad/nn/utils/*.hpp ---------------------------------------------------------
      {"clip_grad_norm_", "clip_grad_norm_", Kind::kValue, [] { nn::utils::clip_grad_norm_(param(), 1.0, kNaN); }, ""},
      {"clip_grad_value_", "clip_grad_value_", Kind::kValue, [] { nn::utils::clip_grad_value_(param(), kNaN); }, ""},
      {"parameters_to_vector", "parameters_to_vector", Kind::kValue,
       [] { nn::utils::parameters_to_vector({param(), Tensor()}); }, ""},
      {"vector_to_parameters", "vector_to_parameters", Kind::kShape,
       [] { nn::utils::vector_to_parameters(zeros({5}), {param()}); }, ""},
      // ---- include/xgrad/nn/summary.hpp ---------------------------------------------------------
      {"summary", "summary", Kind::kValue, [] { summary(nn::Linear(3, 2), {-1, 3}); }, ""},
      {"summary", "Linear", Kind::kShape, [] { summary(nn::Linear(3, 2), {4, 5}); }, ""},
      {"summary_table", "summary", Kind::kValue,
       [] {
         nn::Linear m(3, 2);
         detail::summary_table(*m, {2, -3}, [&](const Tensor& x) { return m(x); });
       },
       ""},

      // ---- modules (include/xgrad/nn/modules/*.hpp, nn/parallel/distributed.hpp) ---------------
      {"ReLU", "relu", Kind::kValue, [] { nn::ReLU()(Tensor()); }, ""},
      {"Sigmoid", "sigmoid", Kind::kValue, [] { nn::Sigmoid()(Tensor()); }, ""},
      {"Tanh", "tanh", Kind::kValue, [] { nn::Tanh()(Tensor()); }, ""},
      {"Softmax", "softmax", Kind::kIndex, [] { nn::Softmax(3)(randn({2, 3})); }, ""},
      {"LogSoftmax", "log_softmax", Kind::kIndex, [] { nn::LogSoftmax(-4)(randn({2, 3})); }, ""},
      {"LeakyReLU", "leaky_relu", Kind::kType, [] { nn::LeakyReLU()(tensor({1, 2})); }, ""},
      {"ELU", "elu", Kind::kType, [] { nn::ELU(nn::ELUOptions().alpha(2.0))(tensor({1, 2})); }, ""},
      {"GELU", "gelu", Kind::kValue, [] { nn::GELU(nn::GELUOptions().approximate("fast"))(randn({2})); }, ""},
      {"SiLU", "silu", Kind::kType, [] { nn::SiLU()(tensor({1, 2})); }, ""},
      {"Softplus", "softplus", Kind::kType, [] { nn::Softplus()(tensor({1, 2})); }, ""},
      {"Hardtanh", "Hardtanh", Kind::kValue, [] { nn::Hardtanh(nn::HardtanhOptions().min_val(2.0).max_val(-1.0)); }, ""},
      {"LogSigmoid", "log_sigmoid", Kind::kType, [] { nn::LogSigmoid()(tensor({1, 2})); }, ""},
      {"BatchNorm1d", "BatchNorm1d", Kind::kValue, [] { nn::BatchNorm1d(0); }, ""},
      {"BatchNorm1d", "BatchNorm1d", Kind::kShape, [] { nn::BatchNorm1d(4)(randn({2, 3})); }, ""},
      {"BatchNorm2d", "BatchNorm2d", Kind::kValue, [] { nn::BatchNorm2d(nn::BatchNorm2dOptions(3).eps(-1)); }, ""},
      {"BatchNorm2d", "BatchNorm2d", Kind::kShape, [] { nn::BatchNorm2d(3)(randn({2, 3})); }, ""},
      {"Functional", "Functional", Kind::kValue, [] { nn::Functional(std::function<Tensor(Tensor)>()); }, ""},
      {"Sequential", "Sequential", Kind::kValue, [] { nn::Sequential({{"a.b", nn::ReLU()}}); }, ""},
      {"Sequential", "Sequential", Kind::kIndex, [] { nn::Sequential(nn::ReLU())->ptr(3); }, ""},
      {"ModuleList", "ModuleList", Kind::kIndex, [] { nn::ModuleList(nn::ReLU())->ptr(2); }, ""},
      {"ModuleDict", "ModuleDict", Kind::kIndex, [] { (*nn::ModuleDict())["missing"]; }, ""},
      {"Conv2d", "Conv2d", Kind::kValue, [] { nn::Conv2d(0, 4, 3); }, ""},
      {"Conv2d", "Conv2d", Kind::kValue, [] { nn::Conv2d(nn::Conv2dOptions(3, 4, 3).groups(2)); }, ""},
      {"Conv2d", "conv2d", Kind::kShape, [] { nn::Conv2d(3, 4, 3)(randn({1, 2, 5, 5})); }, ""},
      {"Dropout", "Dropout", Kind::kValue, [] { nn::Dropout(-0.1); }, ""},
      {"Dropout2d", "Dropout2d", Kind::kValue, [] { nn::Dropout2d(1.5); }, ""},
      {"ReLU6", "relu6", Kind::kValue, [] { nn::ReLU6()(Tensor()); }, ""},
      {"Unflatten", "Unflatten", Kind::kShape, [] { nn::Unflatten(1, std::vector<int64_t>{2, 2})(randn({2, 6})); }, ""},
      {"BCELoss", "binary_cross_entropy", Kind::kShape, [] { nn::BCELoss()(rand({2, 3}), rand({3})); }, ""},
      {"Embedding", "Embedding", Kind::kValue, [] { nn::Embedding(nn::EmbeddingOptions(4, 2).padding_idx(4)); }, ""},
      {"Embedding", "Embedding", Kind::kIndex, [] { nn::Embedding(4, 2)(tensor({4}, TensorOptions(kInt64))); }, ""},
      {"from_pretrained", "Embedding::from_pretrained", Kind::kValue, [] { nn::Embedding::from_pretrained(randn({4})); },
       ""},
      {"Linear", "Linear", Kind::kValue, [] { nn::Linear(-1, 2); }, ""},
      {"Linear", "linear", Kind::kShape, [] { nn::Linear(3, 2)(randn({2, 4})); }, ""},
      {"LSTM", "LSTM", Kind::kValue, [] { nn::LSTM(nn::LSTMOptions(3, 4).num_layers(0)); }, ""},
      {"LSTM", "LSTM", Kind::kShape, [] { nn::LSTM(3, 4)(randn({5, 2, 2})); }, ""},
      {"GRU", "GRU", Kind::kValue, [] { nn::GRU(nn::GRUOptions(3, 4).dropout(1.5)); }, ""},
      {"GRU", "GRU", Kind::kShape, [] { nn::GRU(3, 4)(randn({5, 2, 3}), zeros({1, 3, 4})); }, ""},
      {"RNN", "RNN", Kind::kValue, [] { nn::RNN(3, 0); }, ""},
      {"RNN", "RNN", Kind::kShape, [] { nn::RNN(3, 4)(randn({3})); }, ""},
      {"LSTMCell", "LSTMCell", Kind::kShape, [] { nn::LSTMCell(3, 4)(randn({2, 4})); }, ""},
      {"GRUCell", "GRUCell", Kind::kValue, [] { nn::GRUCell(3, 0); }, ""},
      {"RNNCell", "RNNCell", Kind::kShape, [] { nn::RNNCell(3, 4)(randn({2, 3}), zeros({3, 4})); }, ""},
      {"Flatten", "flatten", Kind::kIndex, [] { nn::Flatten(nn::FlattenOptions().start_dim(4))(randn({2, 3})); }, ""},
      {"Identity", "", Kind::kNone, nullptr, "forward returns any tensor unchanged; there is no bad input"},
      {"L1Loss", "l1_loss", Kind::kShape, [] { nn::L1Loss()(randn({2, 3}), randn({4})); }, ""},
      {"MSELoss", "mse_loss", Kind::kShape, [] { nn::MSELoss()(randn({2, 3}), randn({4})); }, ""},
      {"SmoothL1Loss", "SmoothL1Loss", Kind::kValue, [] { nn::SmoothL1Loss(nn::SmoothL1LossOptions().beta(-1)); }, ""},
      {"HuberLoss", "HuberLoss", Kind::kValue, [] { nn::HuberLoss(nn::HuberLossOptions().delta(-1)); }, ""},
      {"NLLLoss", "nll_loss", Kind::kIndex,
       [] { nn::NLLLoss()(randn({2, 3}), tensor({0, 3}, TensorOptions(kInt64))); }, ""},
      {"CrossEntropyLoss", "CrossEntropyLoss", Kind::kValue,
       [] { nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(1.5)); }, ""},
      {"BCEWithLogitsLoss", "binary_cross_entropy_with_logits", Kind::kShape,
       [] { nn::BCEWithLogitsLoss()(randn({2, 3}), rand({3})); }, ""},
      {"MaxPool2d", "MaxPool2d", Kind::kValue, [] { nn::MaxPool2d(nn::MaxPool2dOptions(0)); }, ""},
      {"AvgPool2d", "AvgPool2d", Kind::kValue, [] { nn::AvgPool2d(nn::AvgPool2dOptions(2).padding(3)); }, ""},
      {"AdaptiveAvgPool2d", "AdaptiveAvgPool2d", Kind::kValue,
       [] { nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({-2, 2})); }, ""},
      {"AdaptiveMaxPool2d", "AdaptiveMaxPool2d", Kind::kValue,
       [] { nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions({2, -1})); }, ""},
      {"DistributedDataParallel", "DistributedDataParallel", Kind::kDistributed,
       [] { nn::parallel::DistributedDataParallel<nn::Linear>(nn::Linear(3, 2)); }, ""},

      // ---- nn::Module's input-taking methods (include/xgrad/nn/module.hpp) ----------------------
      {"Module::register_parameter", "Net", Kind::kValue,
       [] { Net()->register_parameter("a.b", zeros({2})); }, ""},
      {"Module::register_buffer", "Net", Kind::kValue, [] { Net()->register_buffer("", zeros({2})); }, ""},
      {"Module::register_module", "Net", Kind::kValue,
       [] { Net()->register_module("fc", nn::Linear(3, 2)); }, ""},
      {"Module::replace_module", "Net", Kind::kIndex,
       [] { Net()->replace_module("nope", nn::Linear(3, 2)); }, ""},
      {"Module::unregister_module", "Net", Kind::kIndex, [] { Net()->unregister_module("nope"); }, ""},
      {"Module::clone", "Net", Kind::kType, [] { Net()->clone(); }, ""},
      {"Module::apply", "Net", Kind::kValue,
       [] {
         NetImpl local;  // not owned by a shared_ptr: cannot be handed out as one
         local.apply([](const std::shared_ptr<nn::Module>&) {});
       },
       ""},
      {"Module::load_state_dict", "state_dict for Net", Kind::kValue,
       [] {
         StateDict sd = Net()->state_dict();
         sd.tensors.insert("bogus", zeros({1}));
         Net()->load_state_dict(sd);
       },
       ""},
      {"Module::load_state_dict", "fc.weight", Kind::kValue,
       [] {
         StateDict sd = Net()->state_dict();
         sd.tensors["fc.weight"] = zeros({5, 5});
         Net()->load_state_dict(sd);
       },
       ""},

      // ---- optimizers (include/xgrad/optim/*.hpp) -----------------------------------------------
      {"SGD", "SGD", Kind::kValue, [] { optim::SGD({param()}, optim::SGDOptions(-0.1)); }, ""},
      {"SGD", "SGD", Kind::kValue, [] { optim::SGD({param()}, optim::SGDOptions(0.1).nesterov(true)); }, ""},
      {"Adam", "Adam", Kind::kValue,
       [] { optim::Adam({param()}, optim::AdamOptions(1e-3).betas(std::make_tuple(1.0, 0.999))); }, ""},
      {"Adam", "Adam", Kind::kValue, [] { optim::Adam({param()}, optim::AdamOptions(1e-3).eps(-1)); }, ""},
      {"Adam", "Adam", Kind::kValue, [] { optim::Adam({param() * 2}); }, ""},  // not a leaf
      {"SGD", "SGD", Kind::kValue,
       [] { optim::SGD({zeros({2}, TensorOptions(kInt64))}, optim::SGDOptions(0.1)); }, ""},
      {"AdamW", "AdamW", Kind::kValue, [] { optim::AdamW(std::vector<Tensor>{}); }, ""},
      {"RMSprop", "RMSprop", Kind::kValue,
       [] {
         Tensor p = param();
         optim::RMSprop({p, p});
       },
       ""},
      {"Adagrad", "Adagrad", Kind::kValue, [] { optim::Adagrad({param(), Tensor()}); }, ""},
      {"AdamW", "AdamW", Kind::kValue, [] { optim::AdamW({param()}, optim::AdamWOptions(1e-3).weight_decay(-1)); }, ""},
      {"RMSprop", "RMSprop", Kind::kValue, [] { optim::RMSprop({param()}, optim::RMSpropOptions(1e-2).alpha(-1)); }, ""},
      {"RMSprop", "RMSprop", Kind::kValue, [] { optim::RMSprop({param()}, optim::RMSpropOptions(1e-2).momentum(-1)); }, ""},
      {"Adagrad", "Adagrad", Kind::kValue, [] { optim::Adagrad({param()}, optim::AdagradOptions(-1)); }, ""},
      {"Adagrad", "Adagrad", Kind::kValue,
       [] { optim::Adagrad({param()}, optim::AdagradOptions(1e-2).lr_decay(-1)); }, ""},

      // ---- LR schedulers (include/xgrad/optim/schedulers/*.hpp) ---------------------------------
      {"StepLR", "StepLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::StepLR s(opt, 0);
       },
       ""},
      {"StepLR", "StepLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::StepLR s(opt, 2, -0.5);
       },
       ""},
      {"MultiStepLR", "MultiStepLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::MultiStepLR s(opt, {2, 5}, -1.0);
       },
       ""},
      {"MultiStepLR", "MultiStepLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::MultiStepLR s(opt, {2, 5}, kNaN);
       },
       ""},
      {"ExponentialLR", "ExponentialLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::ExponentialLR s(opt, 0.0);
       },
       ""},
      {"CosineAnnealingLR", "CosineAnnealingLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::CosineAnnealingLR s(opt, 0);
       },
       ""},
      {"LinearLR", "LinearLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::LinearLR s(opt, 0.0);
       },
       ""},
      {"LinearLR", "LinearLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::LinearLR s(opt, 0.5, 1.0, -1);
       },
       ""},
      {"LambdaLR", "LambdaLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::LambdaLR s(opt, optim::LambdaLR::LrLambda());
       },
       ""},
      {"LambdaLR", "LambdaLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::LambdaLR s(opt, [](int64_t) { return kNaN; });
       },
       ""},
      {"OneCycleLR", "OneCycleLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, optim::SGDOptions(0.1).momentum(0.9));
         optim::OneCycleLR s(opt, optim::OneCycleLROptions(0.1, 0));
       },
       ""},
      {"OneCycleLR", "OneCycleLR", Kind::kValue,
       [] {
         optim::SGD opt({param()}, optim::SGDOptions(0.1).momentum(0.9));
         optim::OneCycleLR s(opt, optim::OneCycleLROptions(0.1, 10).pct_start(1.5));
       },
       ""},
      {"ReduceLROnPlateauScheduler", "ReduceLROnPlateau", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::ReduceLROnPlateauScheduler s(opt, optim::ReduceLROnPlateauOptions().factor(1.0));
       },
       ""},
      {"ReduceLROnPlateauScheduler", "ReduceLROnPlateau", Kind::kValue,
       [] {
         optim::SGD opt({param()}, 0.1);
         optim::ReduceLROnPlateauScheduler s(opt);
         s.step(kNaN);
       },
       ""},
  };
  return entries;
}

std::string source(const std::string& rel) { return std::string(XGRAD_SOURCE_ROOT "/") + rel; }

std::vector<std::string> headers_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(source(dir)))
    if (e.path().extension() == ".hpp") out.push_back(dir + "/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The matched groups of `re` over the non-comment lines of `path`.
std::set<std::string> scan(const std::string& path, const std::regex& re) {
  std::ifstream in(source(path));
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  std::set<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(' ');
    if (first != std::string::npos && line.compare(first, 2, "//") == 0) continue;
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    for (size_t g = 1; g < m.size(); ++g)
      if (m[g].matched) names.insert(m[g]);
  }
  return names;
}

// Every module holder: XGRAD_MODULE(Name) uses (the loss macro's too) and hand-written holders.
std::set<std::string> declared_modules() {
  const std::regex re(R"(XGRAD_MODULE\((\w+)\)|XGRAD_LOSS_MODULE_\((\w+),|class (\w+) : public ModuleHolder<)");
  std::set<std::string> names;
  auto files = headers_in("include/xgrad/nn/modules");
  files.push_back("include/xgrad/nn/parallel/distributed.hpp");
  for (const auto& f : files) {
    std::ifstream in(source(f));
    std::string line;
    while (std::getline(in, line)) {
      const auto first = line.find_first_not_of(' ');
      if (first != std::string::npos && line.compare(first, 2, "//") == 0) continue;
      std::smatch m;
      if (!std::regex_search(line, m, re)) continue;
      for (int g = 1; g <= 3; ++g)
        if (m[g].matched && m[g] != "Name") names.insert(m[g]);  // "Name": the loss macro's parameter
    }
  }
  return names;
}

}  // namespace

// XGRAD_REGISTRY_DUMP=1: each entry in its own process, printing what it throws (or how it dies);
// for triage when an entry crashes.
BOOST_AUTO_TEST_CASE(dump) {
  if (std::getenv("XGRAD_REGISTRY_DUMP") == nullptr) return;
  for (const auto& e : registry()) {
    if (!e.call) continue;
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      try {
        e.call();
        std::printf("%s: NO THROW\n", e.function.c_str());
      } catch (const Error& x) {
        std::printf("%s: %s | %s\n", e.function.c_str(), typeid(x).name(), x.what());
      } catch (const std::exception& x) {
        std::printf("%s: NON-XGRAD %s | %s\n", e.function.c_str(), typeid(x).name(), x.what());
      }
      std::fflush(stdout);
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status)) std::printf("%s: DIED signal %d\n", e.function.c_str(), WTERMSIG(status));
  }
}

BOOST_AUTO_TEST_CASE(every_entry_throws_its_typed_error_naming_the_op) { xgrad::testing::run_registry(registry()); }

BOOST_AUTO_TEST_CASE(every_free_function_has_an_entry) {
  auto headers = headers_in("include/xgrad/nn/functional");
  for (const auto& h : headers_in("include/xgrad/nn/utils")) headers.push_back(h);
  headers.push_back("include/xgrad/nn/init.hpp");
  headers.push_back("include/xgrad/nn/summary.hpp");
  for (const auto& h : headers)
    xgrad::testing::check_coverage(registry(), xgrad::testing::declared_functions(source(h)), h);
}

BOOST_AUTO_TEST_CASE(every_module_has_an_entry) {
  const auto modules = declared_modules();
  BOOST_TEST(modules.count("Conv2d") == 1);  // the scan sees the macro uses
  BOOST_TEST(modules.count("MSELoss") == 1);
  BOOST_TEST(modules.count("DistributedDataParallel") == 1);
  xgrad::testing::check_coverage(registry(), modules, "include/xgrad/nn/modules");
}

BOOST_AUTO_TEST_CASE(every_optimizer_and_scheduler_has_an_entry) {
  std::set<std::string> optimizers;
  for (const auto& h : headers_in("include/xgrad/optim"))
    for (const auto& n : scan(h, std::regex(R"(^class (\w+) : public Optimizer\b)"))) optimizers.insert(n);
  BOOST_TEST(optimizers.size() >= 5u);
  xgrad::testing::check_coverage(registry(), optimizers, "include/xgrad/optim");

  // Schedulers: LRScheduler's subclasses, and the metric-driven ones, which stand alone.
  std::set<std::string> schedulers;
  for (const auto& h : headers_in("include/xgrad/optim/schedulers"))
    for (const auto& n : scan(h, std::regex(R"(^class (\w+) : public LRScheduler\b|^class (\w+Scheduler) \{)")))
      if (n != "LRScheduler" && !n.empty()) schedulers.insert(n);
  BOOST_TEST(schedulers.count("ReduceLROnPlateauScheduler") == 1);
  xgrad::testing::check_coverage(registry(), schedulers, "include/xgrad/optim/schedulers");
}
