#pragma once
/// \file
/// Numerical check of analytic gradients (gradcheck) and of gradients of gradients
/// (gradgradcheck) against central finite differences, in float64. PyTorch:
/// torch.autograd.gradcheck / gradgradcheck.
///
///     auto x = xgrad::randn({3, 4}, xgrad::kFloat64).requires_grad_();
///     bool ok = xgrad::autograd::gradcheck([](const auto& in) { return in[0].tanh(); }, {x});

#include <xgrad/autograd/node.hpp>

#include <functional>

namespace xgrad::autograd {

struct GradcheckOptions {
  GradcheckOptions& eps(double v) { eps_ = v; return *this; }
  GradcheckOptions& atol(double v) { atol_ = v; return *this; }
  GradcheckOptions& rtol(double v) { rtol_ = v; return *this; }
  /// Throw an AutogradError describing the first mismatch (default) instead of returning false.
  GradcheckOptions& raise_exception(bool v) { raise_exception_ = v; return *this; }

  double eps_ = 1e-6;
  double atol_ = 1e-5;
  double rtol_ = 1e-3;
  bool raise_exception_ = true;
};

using GradcheckFn = std::function<variable_list(const variable_list&)>;

/// Compares, for every input that requires grad and every output element, the analytic
/// Jacobian from backward() with `(f(x + eps) - f(x - eps)) / 2eps`. Inputs must be kFloat64.
/// On mismatch names the input, output and element indices and both values.
bool gradcheck(const GradcheckFn& fn, const variable_list& inputs, const GradcheckOptions& options = {});
/// Same, for a function with a single output.
bool gradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
               const GradcheckOptions& options = {});

/// Second-order check (torch.autograd.gradgradcheck): the gradient of `fn`'s outputs with
/// respect to its inputs, taken with create_graph=true against fixed output gradients `v`, is
/// itself gradcheck-ed as a function of (inputs, v). This verifies every op's double backward.
/// `grad_outputs`: one per floating-point output of `fn`, float64 and requiring grad; empty
/// (default) draws them with randn from the global generator. Inputs must be float64 leaves.
/// An op without double-backward support makes this throw the op's AutogradError.
///
///     auto x = xgrad::randn({3}, xgrad::kFloat64).requires_grad_();
///     xgrad::autograd::gradgradcheck([](const auto& in) { return in[0].pow(3); }, {x});
bool gradgradcheck(const GradcheckFn& fn, const variable_list& inputs, const variable_list& grad_outputs = {},
                   const GradcheckOptions& options = {});
/// Same, for a function with a single output.
bool gradgradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
                   const variable_list& grad_outputs = {}, const GradcheckOptions& options = {});

}  // namespace xgrad::autograd
