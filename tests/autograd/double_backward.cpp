// The list of differentiable ops. Every graph node name that xgrad's sources define (scanned
// from src/) must have an entry here; each entry's gradient is gradcheck-ed, and its gradient of
// the gradient is gradgradcheck-ed when the op supports double backward, or must throw an
// AutogradError naming the op when it does not (a silent wrong second derivative is the one
// outcome that is never allowed). Adding an op without an entry fails the coverage test.
#define BOOST_TEST_MODULE autograd_double_backward
#include <boost/test/unit_test.hpp>

#include <xgrad/xgrad.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <cmath>
#include <regex>
#include <set>
#include <sstream>

namespace F = xgrad::nn::functional;
using xgrad::Tensor;
using xgrad::autograd::variable_list;

namespace {

struct OpEntry {
  std::string name;                    // a graph node name defined in src/
  bool double_backward;                // whether create_graph through it is supported
  std::function<variable_list()> inputs;  // float64 leaves (some may not require grad)
  std::function<variable_list(const variable_list&)> fn;
};

Tensor leaf(std::vector<int64_t> sizes, double shift = 0.0) {
  return (xgrad::randn(sizes, xgrad::kFloat64) + shift).requires_grad_();
}
Tensor positive(std::vector<int64_t> sizes) {
  return (xgrad::rand(sizes, xgrad::kFloat64) + 0.5).requires_grad_();
}
Tensor constant(std::vector<int64_t> sizes) { return xgrad::randn(sizes, xgrad::kFloat64); }
Tensor ids(std::vector<int64_t> values) {
  return xgrad::tensor(values, xgrad::TensorOptions().dtype(xgrad::kInt64));
}

using In = const variable_list&;
variable_list one(Tensor t) { return {std::move(t)}; }

std::vector<OpEntry> entries() {
  using xgrad::indexing::Slice;
  std::vector<OpEntry> e;
  auto add = [&](std::string name, bool dbl, std::function<variable_list()> in,
                 std::function<variable_list(In)> fn) { e.push_back({std::move(name), dbl, std::move(in), std::move(fn)}); };
  auto x23 = [] { return variable_list{leaf({2, 3})}; };
  auto two23 = [] { return variable_list{leaf({2, 3}), leaf({2, 3})}; };

  // ---- elementwise
  add("AddBackward0", true, two23, [](In a) { return one(a[0] + a[1]); });
  add("SubBackward0", true, two23, [](In a) { return one(a[0] - a[1]); });
  add("MulBackward0", true, two23, [](In a) { return one(a[0] * a[1]); });
  add("DivBackward0", true, [] { return variable_list{leaf({2, 3}), positive({2, 3})}; },
      [](In a) { return one(a[0] / a[1]); });
  add("RsubBackward1", true, x23, [](In a) { return one(2.0 - a[0] * a[0]); });
  add("NegBackward0", true, x23, [](In a) { return one(-(a[0] * a[0])); });
  add("ExpBackward0", true, x23, [](In a) { return one(a[0].exp()); });
  add("LogBackward0", true, [] { return variable_list{positive({2, 3})}; }, [](In a) { return one(a[0].log()); });
  add("SqrtBackward0", true, [] { return variable_list{positive({2, 3})}; }, [](In a) { return one(a[0].sqrt()); });
  add("RsqrtBackward0", true, [] { return variable_list{positive({2, 3})}; }, [](In a) { return one(a[0].rsqrt()); });
  add("AbsBackward0", true, x23, [](In a) { return one(a[0].abs() * a[0]); });
  add("SignBackward0", true, x23, [](In a) { return one(a[0].sign() * a[0]); });
  add("SinBackward0", true, x23, [](In a) { return one(a[0].sin()); });
  add("CosBackward0", true, x23, [](In a) { return one(a[0].cos()); });
  add("PowBackward0", true, [] { return variable_list{positive({2, 3})}; }, [](In a) { return one(a[0].pow(2.5)); });
  add("PowBackward1", true, [] { return variable_list{positive({2, 3}), leaf({2, 3})}; },
      [](In a) { return one(a[0].pow(a[1])); });
  add("ClampBackward1", true, x23, [](In a) { return one(a[0].clamp(-0.5, 0.5) * a[0]); });
  add("WhereBackward0", true, two23,
      [](In a) { return one(xgrad::where(a[0] > 0, a[0] * a[1], a[1] * a[1])); });
  add("MaximumBackward0", true, two23, [](In a) { return one(xgrad::maximum(a[0], a[1]) * a[0]); });
  add("MinimumBackward0", true, two23, [](In a) { return one(xgrad::minimum(a[0], a[1]) * a[1]); });
  add("ErfBackward0", true, x23, [](In a) { return one(a[0].erf()); });
  // remainder / fmod: piecewise linear, so products with an input give a non-zero second derivative.
  add("RemainderBackward0", true, x23, [](In a) { return one((a[0] % 0.7) * a[0]); });
  add("RemainderBackward1", true, [] { return variable_list{leaf({2, 3}), positive({2, 3})}; },
      [](In a) { return one(xgrad::remainder(a[0], a[1]) * a[1]); });
  add("FmodBackward0", true, x23, [](In a) { return one(a[0].fmod(0.7) * a[0]); });
  add("FmodBackward1", true, [] { return variable_list{leaf({2, 3}), positive({2, 3})}; },
      [](In a) { return one(xgrad::fmod(a[0], a[1]) * a[0]); });

  // ---- reductions
  add("SumBackward0", true, x23, [](In a) { return one((a[0] * a[0]).sum()); });
  add("SumBackward1", true, x23, [](In a) { return one((a[0] * a[0]).sum({1})); });
  add("MeanBackward0", true, x23, [](In a) { return one((a[0] * a[0]).mean()); });
  add("MeanBackward1", true, x23, [](In a) { return one((a[0] * a[0]).mean({0})); });
  add("MaxBackward1", true, x23, [](In a) { return one((a[0] * a[0]).max()); });
  add("MinBackward1", true, x23, [](In a) { return one((a[0] * a[0]).min()); });
  add("AmaxBackward0", true, x23, [](In a) { return one((a[0] * a[0]).amax({1})); });
  add("AminBackward0", true, x23, [](In a) { return one((a[0] * a[0]).amin({1})); });
  add("MaxBackward0", true, x23, [](In a) { return one(std::get<0>((a[0] * a[0]).max(1))); });
  add("MinBackward0", true, x23, [](In a) { return one(std::get<0>((a[0] * a[0]).min(0))); });

  // ---- products
  add("MmBackward0", true, [] { return variable_list{leaf({2, 3}), leaf({3, 4})}; },
      [](In a) { return one(a[0].mm(a[1])); });
  add("BmmBackward0", true, [] { return variable_list{leaf({2, 2, 3}), leaf({2, 3, 2})}; },
      [](In a) { return one(xgrad::bmm(a[0], a[1])); });
  add("DotBackward0", true, [] { return variable_list{leaf({3}), leaf({3})}; },
      [](In a) { return one(xgrad::matmul(a[0], a[1])); });
  add("MvBackward0", true, [] { return variable_list{leaf({2, 3}), leaf({3})}; },
      [](In a) { return one(xgrad::matmul(a[0], a[1])); });
  add("UnsafeViewBackward0", true, [] { return variable_list{leaf({2, 2, 3}), leaf({3, 2})}; },
      [](In a) { return one(xgrad::matmul(a[0], a[1])); });
  add("AddmmBackward0", true, [] { return variable_list{leaf({2, 3}), leaf({4, 3}), leaf({4})}; },
      [](In a) { return one(F::linear(a[0], a[1], a[2])); });

  // ---- shapes and copies
  add("ViewBackward0", true, x23, [](In a) { return one((a[0] * a[0]).view({3, 2})); });
  add("ReshapeAliasBackward0", true, x23, [](In a) { return one((a[0] * a[0]).t().reshape({6}) * a[0].reshape({6})); });
  add("SqueezeBackward0", true, [] { return variable_list{leaf({2, 1, 3})}; },
      [](In a) { return one((a[0] * a[0]).squeeze()); });
  add("SqueezeBackward1", true, [] { return variable_list{leaf({2, 1, 3})}; },
      [](In a) { return one((a[0] * a[0]).squeeze(1)); });
  add("UnsqueezeBackward0", true, x23, [](In a) { return one((a[0] * a[0]).unsqueeze(1)); });
  add("AliasBackward0", true, x23, [](In a) { return one((a[0] * a[0]).index({xgrad::indexing::Ellipsis})); });
  add("TransposeBackward0", true, [] { return variable_list{leaf({2, 3, 2})}; },
      [](In a) { return one((a[0] * a[0]).transpose(0, 2)); });
  add("TBackward0", true, x23, [](In a) { return one((a[0] * a[0]).t()); });
  add("PermuteBackward0", true, [] { return variable_list{leaf({2, 3, 2})}; },
      [](In a) { return one((a[0] * a[0]).permute({2, 0, 1})); });
  add("SliceBackward0", true, x23, [](In a) { return one((a[0] * a[0]).narrow(1, 1, 2)); });
  add("SliceBackwardBackward0", true, x23, [](In a) { return one((a[0] * a[0]).narrow(1, 1, 2)); });
  add("SelectBackward0", true, x23, [](In a) { return one((a[0] * a[0]).select(0, 1)); });
  add("SelectBackwardBackward0", true, x23, [](In a) { return one((a[0] * a[0]).select(0, 1)); });
  add("ExpandBackward0", true, [] { return variable_list{leaf({1, 3})}; },
      [](In a) { return one((a[0] * a[0]).expand({2, 3})); });
  add("IndexSelectBackward0", true, x23, [](In a) { return one((a[0] * a[0]).index_select(1, ids({2, 0, 2}))); });
  add("IndexSelectBackwardBackward0", true, x23,
      [](In a) { return one((a[0] * a[0]).index_select(1, ids({2, 0, 2}))); });
  add("IndexBackward0", true, x23, [](In a) { return one((a[0] * a[0]).index({ids({1, 0, 1})})); });
  // Overlapping windows (stride 1 over a size-2 window): each input element gets its share.
  add("AsStridedBackward0", true, x23, [](In a) { return one((a[0] * a[0]).as_strided({3, 2}, {1, 1}, 1)); });
  // Both inputs differentiable; a repeated index with accumulate adds both values.
  add("IndexPutBackward0", true, [] { return variable_list{leaf({2, 3}), leaf({3})}; }, [](In a) {
    return one((a[0] * a[0]).index_put({ids({1, 0, 1})}, a[1] * a[1], true));
  });
  add("CatBackward0", true, two23, [](In a) { return one(xgrad::cat({a[0] * a[0], a[1]}, 1)); });
  add("StackBackward0", true, two23, [](In a) { return one(xgrad::stack({a[0] * a[1], a[1]}, 0)); });
  add("CloneBackward0", true, x23, [](In a) { return one((a[0] * a[0]).clone()); });
  // The multi-output views: every output is an output of fn (one unused output gets zeros).
  add("UnbindBackward0", true, x23, [](In a) { return (a[0] * a[0]).unbind(1); });
  add("SplitBackward0", true, x23, [](In a) { return (a[0] * a[0]).split(2, 1); });
  add("SplitWithSizesBackward0", true, x23, [](In a) {
    auto s = (a[0] * a[0]).split_with_sizes({1, 0, 2}, 1);
    return variable_list{s[0], s[2]};
  });
  add("DiagonalBackward0", true, x23, [](In a) { return one((a[0] * a[0]).diagonal(1)); });
  add("DiagonalBackwardBackward0", true, x23, [](In a) { return one((a[0] * a[0]).diagonal(-1, 1, 0)); });
  // In-place ops recorded on a non-leaf (the others record their out-of-place twins' nodes).
  add("FillBackward2", true, x23, [](In a) { return one((a[0] * a[0]).fill_(2.0) * a[0]); });
  add("ZeroBackward0", true, x23, [](In a) { return one((a[0] * a[0]).zero_() + a[0] * a[0]); });
  add("ToCopyBackward0", true, x23,
      [](In a) { return one((a[0] * a[0]).to(xgrad::kFloat64, /*non_blocking=*/false, /*copy=*/true)); });

  // ---- activations
  add("ReluBackward0", true, x23, [](In a) { return one(F::relu(a[0]) * a[0]); });
  add("SigmoidBackward0", true, x23, [](In a) { return one(F::sigmoid(a[0])); });
  add("TanhBackward0", true, x23, [](In a) { return one(F::tanh(a[0])); });
  add("SoftmaxBackward0", true, x23, [](In a) { return one(F::softmax(a[0], F::SoftmaxFuncOptions(1))); });
  add("LogSoftmaxBackward0", true, x23,
      [](In a) { return one(F::log_softmax(a[0], F::LogSoftmaxFuncOptions(1))); });
  add("LeakyReluBackward0", true, x23,
      [](In a) { return one(F::leaky_relu(a[0], F::LeakyReLUFuncOptions().negative_slope(0.2)) * a[0]); });
  add("EluBackward0", true, x23, [](In a) { return one(F::elu(a[0], F::ELUFuncOptions().alpha(0.7))); });
  add("GeluBackward0", true, x23, [](In a) { return one(F::gelu(a[0])); });
  add("GeluBackward0", true, x23, [](In a) { return one(F::gelu(a[0], F::GELUFuncOptions().approximate("tanh"))); });
  // Recorded by the exact gelu's gradient under create_graph.
  add("GeluBackwardBackward0", true, x23, [](In a) { return one(F::gelu(a[0])); });
  add("SiluBackward0", true, x23, [](In a) { return one(F::silu(a[0])); });
  add("SoftplusBackward0", true, x23,
      [](In a) { return one(F::softplus(a[0], F::SoftplusFuncOptions().beta(1.5).threshold(4.0))); });
  add("LogSigmoidBackward0", true, x23, [](In a) { return one(F::logsigmoid(a[0])); });
  add("HardtanhBackward0", true, x23,
      [](In a) { return one(F::hardtanh(a[0], F::HardtanhFuncOptions().min_val(-0.8).max_val(1.3)) * a[0]); });

  // ---- convolution and pooling
  auto conv_in = [] { return variable_list{leaf({2, 2, 5, 5}), leaf({3, 2, 3, 3}), leaf({3})}; };
  auto conv = [](In a) {
    return one(F::conv2d(a[0], a[1], F::Conv2dFuncOptions().bias(a[2]).stride(2).padding(1)));
  };
  add("ConvolutionBackward0", true, conv_in, conv);
  add("ConvolutionBackwardBackward0", true, conv_in, conv);
  add("ConvolutionBackwardBackward1", true, conv_in, conv);
  auto img = [] { return variable_list{leaf({2, 2, 4, 5})}; };
  add("MaxPool2DWithIndicesBackward0", true, img, [](In a) { return one(xgrad::max_pool2d(a[0] * a[0], {2, 2})); });
  add("MaxPool2DWithIndicesBackwardBackward0", true, img,
      [](In a) { return one(xgrad::max_pool2d(a[0] * a[0], {2, 2})); });
  add("AdaptiveMaxPool2DBackward0", true, img,
      [](In a) { return one(std::get<0>(xgrad::adaptive_max_pool2d(a[0] * a[0], {2, 3}))); });
  add("AdaptiveMaxPool2DBackwardBackward0", true, img,
      [](In a) { return one(std::get<0>(xgrad::adaptive_max_pool2d(a[0] * a[0], {2, 3}))); });
  add("AvgPool2DBackward0", true, img,
      [](In a) { return one(xgrad::avg_pool2d(a[0] * a[0], {2, 2}, {1, 2}, {1, 0})); });
  add("AvgPool2DBackwardBackward0", true, img,
      [](In a) { return one(xgrad::avg_pool2d(a[0] * a[0], {2, 2}, {1, 2}, {1, 0})); });
  add("AdaptiveAvgPool2DBackward0", true, img,
      [](In a) { return one(xgrad::adaptive_avg_pool2d(a[0] * a[0], {3, 2})); });
  add("AdaptiveAvgPool2DBackwardBackward0", true, img,
      [](In a) { return one(xgrad::adaptive_avg_pool2d(a[0] * a[0], {3, 2})); });
  // Batch norm's backward is a fused kernel; double backward is refused.
  add("NativeBatchNormBackward0", false, [] { return variable_list{leaf({4, 3}), leaf({3}, 1.0), leaf({3})}; },
      [](In a) {
        return one(F::batch_norm(a[0], Tensor(), Tensor(), F::BatchNormFuncOptions().weight(a[1]).bias(a[2]).training(true)));
      });

  // ---- losses
  auto loss_in = [] { return variable_list{leaf({3, 4}), constant({3, 4})}; };
  add("MseLossBackward0", true, loss_in, [](In a) { return one(F::mse_loss(a[0] * a[0], a[1])); });
  add("SmoothL1LossBackward0", true, loss_in, [](In a) { return one(F::smooth_l1_loss(a[0] * 2, a[1])); });
  add("HuberLossBackward0", true, loss_in, [](In a) { return one(F::huber_loss(a[0] * 2, a[1])); });
  add("BinaryCrossEntropyWithLogitsBackward0", true,
      [] { return variable_list{leaf({3, 4}), xgrad::rand({3, 4}, xgrad::kFloat64)}; },
      [](In a) { return one(F::binary_cross_entropy_with_logits(a[0] * a[0], a[1])); });
  // Probabilities kept inside (0.2, 0.8) so finite differences do not cross 0 or 1; the target
  // gets a gradient too (PyTorch 1.13's binary_cross_entropy_target_backward).
  add("BinaryCrossEntropyBackward0", true,
      [] {
        return variable_list{(xgrad::rand({3, 4}, xgrad::kFloat64) * 0.6 + 0.2).requires_grad_(),
                             xgrad::rand({3, 4}, xgrad::kFloat64).requires_grad_()};
      },
      [](In a) { return one(F::binary_cross_entropy(a[0], a[1])); });
  // Recorded by binary_cross_entropy_with_logits's backward for the target (with pos_weight), under
  // create_graph.
  add("SoftplusBackward0", true,
      [] { return variable_list{leaf({3, 4}), xgrad::rand({3, 4}, xgrad::kFloat64).requires_grad_()}; },
      [](In a) {
        const auto pos_weight = xgrad::tensor({0.5, 2.0, 1.5, 3.0}, xgrad::TensorOptions().dtype(xgrad::kFloat64));
        return one(F::binary_cross_entropy_with_logits(
            a[0] * a[0], a[1], F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(pos_weight)));
      });
  add("NllLossBackward0", true, [] { return variable_list{leaf({3, 4})}; },
      [](In a) { return one(F::cross_entropy(a[0] * a[0], ids({1, 0, 3}))); });

  // ---- statistics, sorting, gather/scatter, masking (issue 9 item 3)
  auto x234 = [] { return variable_list{leaf({2, 3, 4})}; };
  add("StdBackward0", true, x234, [](In a) { return one(a[0].std({0, 2}, true, true)); });
  add("VarBackward0", true, x234, [](In a) { return one(a[0].var(1) * a[0].var(1)); });
  add("StdMeanBackward0", true, x234, [](In a) {
    auto [s, m] = xgrad::std_mean(a[0], {1});
    return variable_list{s, m * m};
  });
  add("VarMeanBackward0", true, x234, [](In a) {
    auto [v, m] = xgrad::var_mean(a[0], {0, 2}, false, true);
    return variable_list{v, m * m};
  });
  add("NormBackward0", true, x23, [](In a) { return one(a[0].norm(3)); });
  add("NormBackward1", true, x234, [](In a) { return one(a[0].norm(2, {1})); });
  add("LogsumexpBackward0", true, x234, [](In a) { return one(a[0].logsumexp({2})); });
  add("CumsumBackward0", true, x23, [](In a) { return one(a[0].cumsum(1) * a[0]); });
  add("Log1PBackward0", true, [] { return variable_list{positive({2, 3})}; }, [](In a) { return one(a[0].log1p()); });
  add("Expm1Backward0", true, x23, [](In a) { return one(a[0].expm1()); });
  add("ClampMinBackward0", true, x23, [](In a) { return one(a[0].clamp_min(-0.2) * a[0]); });
  add("ClampMaxBackward0", true, x23, [](In a) { return one(a[0].clamp_max(0.3) * a[0]); });
  auto mask23 = [] { return xgrad::tensor({{true, false, true}, {false, false, true}}); };
  add("MaskedFillBackward0", true, x23, [mask23](In a) { return one(a[0].masked_fill(mask23(), 2.0) * a[0]); });
  add("MaskedFillBackward1", true, [] { return variable_list{leaf({2, 3}), leaf({})}; },
      [mask23](In a) { return one(a[0].masked_fill(mask23(), a[1]) * a[0] * a[1]); });
  auto idx = [] { return ids({2, 0, 1, 1}).view({2, 2}); };
  add("GatherBackward0", true, x23, [idx](In a) { return one(a[0].gather(1, idx()) * a[0].gather(1, idx())); });
  add("ScatterAddBackward0", true, [] { return variable_list{leaf({2, 3}), leaf({2, 2})}; },
      [idx](In a) { return one(a[0].scatter_add(1, idx(), a[1]) * a[0]); });
  auto uidx = [] { return ids({2, 0, 1, 2}).view({2, 2}); };  // unique per row
  add("ScatterBackward0", true, [] { return variable_list{leaf({2, 3}), leaf({2, 2})}; },
      [uidx](In a) { return one(a[0].scatter(1, uidx(), a[1]) * a[0].scatter(1, uidx(), a[1])); });
  add("ScatterBackward1", true, x23, [uidx](In a) { return one(a[0].scatter(1, uidx(), 0.5) * a[0]); });
  add("SortBackward0", true, x23, [](In a) { return one(std::get<0>(a[0].sort(1, true)) * a[0]); });
  add("TopkBackward0", true, x23, [](In a) { return one(std::get<0>(a[0].topk(2)) * std::get<0>(a[0].topk(2))); });
  // ---- embedding (src/ops/embedding.cpp): the lookup, and its weight gradient as a node
  auto emb_ids = [] { return ids({2, 0, 2, 1}).view({2, 2}); };
  auto w43 = [] { return variable_list{leaf({4, 3})}; };
  add("EmbeddingBackward0", true, w43, [emb_ids](In a) { return one(xgrad::embedding(a[0] * a[0], emb_ids())); });
  add("EmbeddingDenseBackwardBackward0", true, w43,
      [emb_ids](In a) { return one(xgrad::embedding(a[0] * a[0], emb_ids())); });
  return e;
}

// Names of every node reachable from `roots`.
std::set<std::string> graph_names(const variable_list& roots) {
  std::set<std::string> names;
  std::vector<std::shared_ptr<xgrad::autograd::Node>> stack;
  std::set<const xgrad::autograd::Node*> seen;
  for (const auto& r : roots)
    if (r.defined() && r.grad_fn()) stack.push_back(r.grad_fn());
  while (!stack.empty()) {
    auto n = stack.back();
    stack.pop_back();
    if (!seen.insert(n.get()).second) continue;
    names.insert(n->name());
    for (const auto& edge : n->next_edges())
      if (edge.function) stack.push_back(edge.function);
  }
  return names;
}

variable_list diff_inputs(const variable_list& in) {
  variable_list out;
  for (const auto& t : in)
    if (t.requires_grad()) out.push_back(t);
  return out;
}

// The names in the forward graph and in the graph of its gradient (with create_graph).
std::set<std::string> names_reached(const OpEntry& op, const variable_list& in) {
  variable_list outs = op.fn(in);
  auto names = graph_names(outs);
  if (!op.double_backward) return names;
  variable_list grad_outs;
  // Output gradients that require grad, so that the nodes of second-order ops (whose inputs are
  // these gradients) are recorded too.
  for (const auto& o : outs) grad_outs.push_back(xgrad::ones_like(o).requires_grad_());
  auto g = xgrad::autograd::grad(outs, diff_inputs(in), grad_outs, true, true, true);
  auto more = graph_names(g);
  names.insert(more.begin(), more.end());
  return names;
}

// Every quoted node name ("...Backward<n>") in the library's sources.
std::set<std::string> names_in_sources() {
  std::set<std::string> names;
  const std::regex literal("\"([A-Za-z0-9]+Backward[0-9]+)\"");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(XGRAD_SOURCE_ROOT "/src")) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream f(entry.path());
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) names.insert((*it)[1]);
  }
  return names;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_node_name_in_the_sources_has_an_entry) {
  const auto in_sources = names_in_sources();
  BOOST_TEST_REQUIRE(in_sources.size() > 50u);  // the scan works
  std::set<std::string> listed;
  for (const auto& op : entries()) listed.insert(op.name);
  // Literals that are not nodes of their own.
  listed.insert("LossBackward0");  // src/ops/loss.cpp: the fallback after an exhaustive switch
  for (const auto& name : in_sources) BOOST_TEST(listed.count(name) == 1u, "no entry for node " << name);
  for (const auto& name : listed) BOOST_TEST(in_sources.count(name) == 1u, "entry for unknown node " << name);
}

BOOST_AUTO_TEST_CASE(each_entry_records_its_node) {
  xgrad::manual_seed(1);
  for (const auto& op : entries()) {
    BOOST_TEST_CONTEXT(op.name) {
      auto names = names_reached(op, op.inputs());
      BOOST_TEST(names.count(op.name) == 1u);
    }
  }
}

// Runs `check`, turning an exception into a test failure that names the op.
template <typename F>
void checked(const std::string& op, F&& check) {
  try {
    BOOST_TEST(check(), op);
  } catch (const std::exception& err) {
    BOOST_ERROR(op << ": " << err.what());
  }
}

BOOST_AUTO_TEST_CASE(gradcheck_every_op) {
  xgrad::manual_seed(2);
  for (const auto& op : entries()) checked(op.name, [&] { return xgrad::autograd::gradcheck(op.fn, op.inputs()); });
}

BOOST_AUTO_TEST_CASE(gradgradcheck_every_op_or_a_named_error) {
  xgrad::manual_seed(3);
  for (const auto& op : entries()) {
    BOOST_TEST_CONTEXT(op.name) {
      if (op.double_backward) {
        checked(op.name, [&] { return xgrad::autograd::gradgradcheck(op.fn, op.inputs()); });
      } else {
        try {
          xgrad::autograd::gradgradcheck(op.fn, op.inputs());
          BOOST_ERROR("double backward through " << op.name << " did not throw");
        } catch (const xgrad::AutogradError& err) {
          // The node's name, or the public op's where the op raises its own error.
          const std::string msg = err.what();
          const std::string op_name = op.name == "NativeBatchNormBackward0" ? "batch_norm" : op.name;
          BOOST_TEST(msg.find(op_name) != std::string::npos, msg);
        }
      }
    }
  }
}

// The silent wrong answer this list exists to prevent: d/da sum(d mse(a*a, 0)/da) for a = [1, 2,
// 3] is 12a^2 / 3 = [4, 16, 36] (PyTorch's value).
BOOST_AUTO_TEST_CASE(mse_of_a_square_second_derivative) {
  auto a = xgrad::tensor({1.0, 2.0, 3.0}).requires_grad_();
  auto loss = F::mse_loss(a * a, xgrad::zeros({3}));
  auto g = xgrad::autograd::grad({loss}, {a}, {}, true, true)[0];
  auto gg = xgrad::autograd::grad({g.sum()}, {a})[0];
  const std::vector<float> want{4, 16, 36};
  const auto got = gg.to_vector<float>();
  for (size_t i = 0; i < 3; ++i) BOOST_TEST(got[i] == want[i], boost::test_tools::tolerance(1e-5f));
}

// A gradient penalty through a small CNN, against PyTorch (tests/reference/gradient_penalty.py):
// f = sum(net(x)^2), total = f + 0.5 * sum((df/dx)^2); total.backward() needs the second
// derivative of conv2d, tanh, max_pool2d, sigmoid, avg_pool2d and linear.
namespace {
Tensor fill(std::vector<int64_t> shape, double a, double b, double scale = 1.0) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = scale * std::sin(a * static_cast<double>(i) + b);
  return xgrad::tensor(v, xgrad::kFloat64).reshape(shape).requires_grad_();
}
void expect_values(const Tensor& got, const std::vector<double>& want, const char* what) {
  BOOST_TEST_REQUIRE(got.defined(), what);
  const auto g = got.to_vector<double>();
  BOOST_TEST_REQUIRE(g.size() == want.size(), what);
  for (size_t i = 0; i < g.size(); ++i)
    BOOST_TEST(g[i] == want[i], what << "[" << i << "]" << boost::test_tools::tolerance(1e-9));
}
}  // namespace

BOOST_AUTO_TEST_CASE(gradient_penalty_through_a_cnn_matches_pytorch) {
  auto x = fill({2, 1, 6, 6}, 0.7, 0.1);
  auto w1 = fill({3, 1, 3, 3}, 1.3, 0.2, 0.5), b1 = fill({3}, 2.1, 0.3, 0.1);
  auto w2 = fill({4, 3, 2, 2}, 0.9, 0.4, 0.4), b2 = fill({4}, 1.7, 0.5, 0.1);
  auto w3 = fill({5, 4}, 1.1, 0.6, 0.3), b3 = fill({5}, 0.3, 0.7, 0.1);
  auto net = [&](const Tensor& in) {
    auto h = F::tanh(F::conv2d(in, w1, F::Conv2dFuncOptions().bias(b1).padding(1)));
    h = xgrad::max_pool2d(h, {2, 2});
    h = F::sigmoid(F::conv2d(h, w2, F::Conv2dFuncOptions().bias(b2).stride(2).padding(1)));
    h = xgrad::avg_pool2d(h, {2, 2}).flatten(1);
    return F::linear(h, w3, b3);
  };
  auto f = net(x).pow(2).sum();
  auto gx = xgrad::autograd::grad({f}, {x}, {}, true, /*create_graph=*/true)[0];
  auto total = f + 0.5 * gx.pow(2).sum();
  total.backward();
  BOOST_TEST(total.item<double>() == 4.272852448802e-01, boost::test_tools::tolerance(1e-10));

  expect_values(w1.grad(), {5.940331644885e-03, -4.364649237370e-03, -2.952541579275e-03, 1.533043019006e-03, -4.523174475325e-03, -1.402142000600e-03, 9.164224700084e-04, 1.485695348309e-02, 7.022055861501e-03, -1.626292306515e-02, -2.392334841247e-02, -2.034603409779e-02, 2.155436550263e-02, 1.918633164216e-02, -1.288150684236e-03, -7.493923432870e-03, 2.413488775136e-03, 1.879381464603e-02, 6.141405420313e-04, 1.740662610078e-02, 3.230494268562e-02, 4.440013818042e-03, -1.886212199184e-02, -2.731309979755e-02, -8.750364226067e-03, 1.727467124906e-02, 2.316237186091e-02}, "w1.grad");
  expect_values(b1.grad(), {-5.318180387109e-04, -1.301692045602e-02, 6.501448635704e-02}, "b1.grad");
  expect_values(w2.grad(), {5.278758003030e-03, 1.193879300706e-02, 1.402775102951e-02, 2.448729413656e-02, 6.651219458057e-03, 6.858220167806e-03, 1.108656280236e-02, 2.639218415158e-02, 6.551567411525e-03, 1.252527594863e-02, 7.463855039373e-03, 2.121268369340e-02, 3.600186507162e-02, 7.800042724977e-02, 8.917556227138e-02, 1.516406579611e-01, 4.536924402313e-02, 4.650163104364e-02, 7.121429461673e-02, 1.630890841351e-01, 4.468960960804e-02, 8.125446953584e-02, 4.929434967978e-02, 1.287502761703e-01, 2.303072219862e-02, 5.181457611018e-02, 6.172962945397e-02, 1.074925492887e-01, 2.903085890298e-02, 2.988639123089e-02, 4.875074455218e-02, 1.159548837187e-01, 2.859616850561e-02, 5.429613742245e-02, 3.267415301665e-02, 9.332989217728e-02, -1.186792917866e-02, -2.596740005745e-02, -2.943174516758e-02, -5.030540400322e-02, -1.495437326008e-02, -1.534929383872e-02, -2.349535731768e-02, -5.408140543406e-02, -1.473032725539e-02, -2.709651521144e-02, -1.626257012571e-02, -4.273713808361e-02}, "w2.grad");
  expect_values(b2.grad(), {3.008946935344e-02, 1.859519887894e-01, 1.322397744823e-01, -6.164532337556e-02}, "b2.grad");
  expect_values(w3.grad(), {6.418840040773e-01, 6.354840882348e-01, 4.380520662774e-01, 5.158684036333e-01, 2.464043975512e-01, 2.439420894756e-01, 1.681590281800e-01, 1.980337638341e-01, -3.007673818669e-01, -2.977687005928e-01, -2.052577339872e-01, -2.417201195000e-01, 5.025063145669e-01, 4.974976373529e-01, 3.429339289181e-01, 4.038525004233e-01, 5.770156647822e-01, 5.712574939790e-01, 3.937837141444e-01, 4.637385859539e-01}, "w3.grad");
  expect_values(b3.grad(), {1.107656441612e+00, 4.252024638071e-01, -5.190141253855e-01, 8.671420547732e-01, 9.957163812244e-01}, "b3.grad");
  expect_values(x.grad(), {1.093569432471e-04, 2.018732292214e-03, 1.867850489326e-03, -1.271640208023e-03, -8.005196723119e-03, -2.699366531769e-03, -2.793627837910e-03, 1.315722523516e-03, 3.542790177171e-03, 1.406124812927e-03, 5.486354448746e-03, -1.644003164492e-04, -1.279050356982e-03, -4.614596706413e-03, 2.441314965983e-05, 2.920073258316e-03, -1.178769832779e-03, -3.851263860725e-04, 4.196677207755e-03, 2.832420111537e-03, -4.217669501547e-03, -5.259861483252e-04, 2.536134299555e-03, 4.191660605828e-04, -1.305598613802e-03, -5.222483366646e-04, 4.796825731966e-04, -3.220165177464e-03, -1.391173422236e-03, 3.769639649930e-03, 1.348233335486e-03, 1.360118262743e-03, -9.267814549545e-04, 1.920090332513e-03, -2.042416162590e-03, -4.033532000389e-03, 1.321568636454e-04, 2.137777770427e-03, 1.547790579481e-03, -1.528535397869e-03, -7.563634929041e-03, -2.497424151247e-03, -2.806855935199e-03, 1.342551192391e-03, 3.854934743583e-03, 1.713360805468e-03, 5.279839450416e-03, -1.019123475606e-04, -1.507086246603e-03, -4.860673267199e-03, -4.244781809003e-04, 2.634401250041e-03, -1.078803708427e-03, -3.665623863769e-04, 4.388708147890e-03, 2.742210960375e-03, -3.910365419787e-03, -4.094658195763e-04, 2.197665602562e-03, 3.523326268970e-04, -1.348424862997e-03, -2.891437002234e-04, 4.961892684994e-04, -3.455995945039e-03, -1.546551095289e-03, 3.918309670058e-03, 1.343803282386e-03, 1.331883239059e-03, -8.701500325198e-04, 2.173121692272e-03, -2.045816622925e-03, -4.293634970339e-03}, "x.grad");
}
