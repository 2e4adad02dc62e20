// UndefinedGrad: an op whose gradient is undefined, to exercise undefined-gradient handling.

#include <xgrad/autograd/basic_ops.hpp>

#include <xgrad/autograd/grad_mode.hpp>

namespace xgrad::autograd {

variable_list UndefinedGrad::apply(variable_list&& inputs) {
  variable_list outputs;
  outputs.reserve(inputs.size());
  {
    // The copies are new values, not views: later in-place changes of an input do not reach them.
    AutoGradMode no_grad(false);
    for (const auto& in : inputs) outputs.push_back(in.defined() ? in.clone() : Tensor());
  }
  if (!compute_requires_grad(inputs)) return outputs;
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const auto& in : inputs) edges.push_back(in.defined() ? gradient_edge(in) : Edge{});
  auto node = std::make_shared<UndefinedGradBackward>(outputs, std::move(edges));
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].defined()) set_history(outputs[i], node, static_cast<uint32_t>(i));
  return outputs;
}

UndefinedGradBackward::UndefinedGradBackward(const variable_list& outputs, std::vector<Edge> next_edges) {
  next_edges_ = std::move(next_edges);
  output_meta_.reserve(outputs.size());
  for (const auto& out : outputs) {
    if (out.defined())
      add_output_meta(out);
    else
      output_meta_.push_back(OutputMeta{});  // no tensor, so no gradient ever arrives here
  }
}

variable_list UndefinedGradBackward::apply(variable_list&& /*grad_outputs*/) {
  return variable_list(num_outputs());
}

}  // namespace xgrad::autograd
