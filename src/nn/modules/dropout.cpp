// Dropout: probability check at construction, active only in training mode.

#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/modules/dropout.hpp>

#include "nn/modules/common.hpp"

#include <fmt/format.h>

namespace xgrad::nn {

using namespace detail;

namespace {
void check_probability(const char* module, double p) {
  XGRAD_CHECK(p >= 0.0 && p <= 1.0, ValueError, "{}: dropout probability has to be between 0 and 1, but got {}",
              module, p);
}
}  // namespace

// ---- Dropout ------------------------------------------------------------------------------------

DropoutImpl::DropoutImpl(const DropoutOptions& options_) : options(options_) { reset(); }

void DropoutImpl::reset() { check_probability("Dropout", options.p()); }

Tensor DropoutImpl::forward(Tensor input) {
  return functional::dropout(
      input, functional::DropoutFuncOptions().p(options.p()).inplace(options.inplace()).training(is_training()));
}

std::string DropoutImpl::extra_repr() const {
  return fmt::format("p={}, inplace={}", py_float(options.p()), py_bool(options.inplace()));
}

// ---- Dropout2d ----------------------------------------------------------------------------------

Dropout2dImpl::Dropout2dImpl(const Dropout2dOptions& options_) : options(options_) { reset(); }

void Dropout2dImpl::reset() { check_probability("Dropout2d", options.p()); }

Tensor Dropout2dImpl::forward(Tensor input) {
  return functional::dropout2d(
      input, functional::Dropout2dFuncOptions().p(options.p()).inplace(options.inplace()).training(is_training()));
}

std::string Dropout2dImpl::extra_repr() const {
  return fmt::format("p={}, inplace={}", py_float(options.p()), py_bool(options.inplace()));
}

}  // namespace xgrad::nn
