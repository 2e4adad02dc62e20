#pragma once
/// \file
/// Numerical check of analytic gradients against central finite differences, in float64.
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

}  // namespace xgrad::autograd
