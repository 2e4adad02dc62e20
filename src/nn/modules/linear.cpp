// Linear, Flatten and Identity: argument checks, PyTorch's default initialisation, forward through
// nn::functional and PyTorch's extra_repr text.

#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/modules/linear.hpp>

#include "nn/modules/common.hpp"

#include <fmt/format.h>

namespace xgrad::nn {

using namespace detail;

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

Tensor IdentityImpl::forward(const Tensor& input) { return input; }

}  // namespace xgrad::nn
