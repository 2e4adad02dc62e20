// embedding (a row lookup into a weight matrix), its gradient and embedding_renorm_, as
// PyTorch's aten::embedding, embedding_dense_backward and embedding_renorm_.
//
// The forward copies weight row indices[i] to output row i. Its gradient for the weight is the
// adjoint, an index_add of the output gradient's rows into zeros of the weight's shape, with two
// PyTorch rules on top: rows whose index is padding_idx contribute nothing (the padding row
// never learns), and with scale_grad_by_freq each contribution is divided by how often its index
// occurs in `indices`. That gradient is itself a node (EmbeddingDenseBackwardBackward0), linear
// in the output gradient, whose own gradient is the row lookup with the same mask and scale
// (the exact adjoint; PyTorch's double backward leaves the frequency scale out). The two ops
// are each other's gradient, so derivatives of any order flow.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/embedding.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/tensor_internal.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <vector>

namespace xgrad {

using autograd::AutogradContext;
using autograd::variable_list;

namespace {

// The rules the forward and the gradient share, fixed when the forward runs.
struct EmbeddingRule {
  int64_t num_weights;  // weight.size(0)
  int64_t padding_idx;  // -1: none
  bool scale_grad_by_freq;
};

// How many times each index occurs in `idx` (for scale_grad_by_freq).
std::unordered_map<int64_t, int64_t> index_counts(const int64_t* idx, int64_t n) {
  std::unordered_map<int64_t, int64_t> counts;
  for (int64_t i = 0; i < n; ++i) ++counts[idx[i]];
  return counts;
}

// out[i, :] = w[idx[i], :] for the `n` indices; with `masked`, rows of padding_idx are zero and
// (scale_grad_by_freq) every row is divided by its index's count. `w` is [num_weights, dim].
Tensor lookup_rows(const Tensor& w, const Tensor& indices, const EmbeddingRule& rule, bool masked) {
  const Tensor wc = w.contiguous();
  const int64_t dim = wc.size(1);
  const int64_t n = indices.numel();
  const int64_t* idx = detail::typed_data<int64_t>(indices);
  std::vector<int64_t> sizes = indices.sizes().vec();
  sizes.push_back(dim);
  Tensor out = empty(sizes, TensorOptions().dtype(w.dtype()));
  if (out.numel() == 0) return out;
  if (!masked) {  // any dtype: rows are copied as bytes
    const size_t row = static_cast<size_t>(dim) * wc.element_size();
    const auto* src = static_cast<const char*>(wc.impl()->data());
    auto* dst = static_cast<char*>(out.impl()->data());
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + static_cast<size_t>(i) * row, src + static_cast<size_t>(idx[i]) * row, row);
    return out;
  }
  std::unordered_map<int64_t, int64_t> counts;
  if (rule.scale_grad_by_freq) counts = index_counts(idx, n);
  detail::dispatch_floating(w.dtype(), "embedding_backward", [&]<typename T>() {
    const T* src = detail::typed_data<T>(wc);
    T* dst = detail::typed_data<T>(out);
    for (int64_t i = 0; i < n; ++i) {
      T* o = dst + i * dim;
      if (idx[i] == rule.padding_idx) {
        for (int64_t k = 0; k < dim; ++k) o[k] = T(0);
        continue;
      }
      const T scale = rule.scale_grad_by_freq ? T(1) / static_cast<T>(counts[idx[i]]) : T(1);
      const T* s = src + idx[i] * dim;
      for (int64_t k = 0; k < dim; ++k) o[k] = s[k] * scale;
    }
  });
  return out;
}

// grad_weight [num_weights, dim]: grad_weight[idx[i], :] += g[i, :] (scaled, padding skipped).
Tensor accumulate_rows(const Tensor& grad, const Tensor& indices, const EmbeddingRule& rule) {
  const int64_t n = indices.numel();
  const int64_t dim = grad.dim() == 0 ? 1 : grad.size(grad.dim() - 1);
  Tensor out = zeros({rule.num_weights, dim}, TensorOptions().dtype(grad.dtype()));
  if (n == 0 || dim == 0) return out;
  const Tensor gc = grad.contiguous();
  const int64_t* idx = detail::typed_data<int64_t>(indices);
  std::unordered_map<int64_t, int64_t> counts;
  if (rule.scale_grad_by_freq) counts = index_counts(idx, n);
  detail::dispatch_floating(grad.dtype(), "embedding_backward", [&]<typename T>() {
    const T* src = detail::typed_data<T>(gc);
    T* dst = detail::typed_data<T>(out);
    for (int64_t i = 0; i < n; ++i) {
      if (idx[i] == rule.padding_idx) continue;
      const T scale = rule.scale_grad_by_freq ? T(1) / static_cast<T>(counts[idx[i]]) : T(1);
      T* o = dst + idx[i] * dim;
      const T* s = src + i * dim;
      for (int64_t k = 0; k < dim; ++k) o[k] += s[k] * scale;
    }
  });
  return out;
}

struct EmbeddingLookupOp;

// The weight gradient as a function of the output gradient (PyTorch's embedding_dense_backward).
struct EmbeddingDenseBackwardOp : autograd::Function<EmbeddingDenseBackwardOp> {
  static std::string_view name() { return "EmbeddingDenseBackwardBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& grad, const Tensor& indices, EmbeddingRule rule) {
    ctx->save_for_backward({indices});
    ctx->emplace_state<EmbeddingRule>(rule);
    return accumulate_rows(grad, indices, rule);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g);
};

// The row lookup. `masked` is false for embedding itself and true for the adjoint of
// EmbeddingDenseBackwardOp (the lookup with the padding rows zeroed and the frequency scale).
struct EmbeddingLookupOp : autograd::Function<EmbeddingLookupOp> {
  static std::string_view name() { return "EmbeddingBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& weight, const Tensor& indices, EmbeddingRule rule,
                        bool masked) {
    ctx->save_for_backward({indices});
    ctx->emplace_state<EmbeddingRule>(rule);
    return lookup_rows(weight, indices, rule, masked);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor indices = ctx->get_saved_variables()[0];
    const EmbeddingRule& rule = ctx->state<EmbeddingRule>();
    return {EmbeddingDenseBackwardOp::apply(g[0], indices, rule), Tensor()};
  }
};

variable_list EmbeddingDenseBackwardOp::backward(AutogradContext* ctx, variable_list g) {
  const Tensor indices = ctx->get_saved_variables()[0];
  const EmbeddingRule& rule = ctx->state<EmbeddingRule>();
  return {EmbeddingLookupOp::apply(g[0], indices, rule, true), Tensor()};
}

// indices as contiguous int64, after the dtype check; `op` names the caller in messages.
Tensor int64_indices(const Tensor& indices, const char* op) {
  XGRAD_CHECK(indices.defined(), ValueError, "{}: indices is an undefined tensor", op);
  XGRAD_CHECK(indices.dtype() == kInt64 || indices.dtype() == kInt32, TypeError,
              "{}: expected indices of dtype int64 or int32 (Long or Int), got {}", op, dtype_name(indices.dtype()));
  return indices.to(kInt64).contiguous();
}

void check_weight(const Tensor& weight, const char* op) {
  XGRAD_CHECK(weight.defined(), ValueError, "{}: weight is an undefined tensor", op);
  XGRAD_CHECK(weight.dim() == 2, ShapeError, "{}: 'weight' must be 2-D, got sizes {}", op, to_string(weight.sizes()));
}

// Every index in [0, num_weights): IndexError naming the first one that is not (PyTorch: "index
// out of range in self"; negative indices are not wrapped).
void check_range(const Tensor& idx, int64_t num_weights, const char* op) {
  const int64_t* p = detail::typed_data<int64_t>(idx);
  for (int64_t i = 0; i < idx.numel(); ++i)
    XGRAD_CHECK(p[i] >= 0 && p[i] < num_weights, IndexError,
                "{}: index out of range in self: index {} at position {} is not in [0, {}) (weight has {} rows)", op,
                p[i], i, num_weights, num_weights);
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx, bool scale_grad_by_freq,
                 bool sparse) {
  check_weight(weight, "embedding");
  const Tensor idx = int64_indices(indices, "embedding");
  XGRAD_CHECK(!sparse, ValueError,
              "embedding: sparse=true is not supported: xgrad has no sparse tensors, so the weight gradient is "
              "always dense (pass sparse=false)");
  const int64_t rows = weight.size(0);
  // aten::embedding takes an already wrapped padding_idx: -1 (or any value no index can have)
  // means none; F::embedding wraps a negative user value before calling this.
  XGRAD_CHECK(padding_idx >= -1 && padding_idx < rows, ValueError,
              "embedding: padding_idx {} is not -1 (none) or a row of the weight [0, {})", padding_idx, rows);
  check_range(idx, rows, "embedding");
  return EmbeddingLookupOp::apply(weight, idx, EmbeddingRule{rows, padding_idx, scale_grad_by_freq}, false);
}

Tensor& embedding_renorm_(Tensor& weight, const Tensor& indices, double max_norm, double norm_type) {
  check_weight(weight, "embedding_renorm_");
  const Tensor idx = int64_indices(indices, "embedding_renorm_");
  XGRAD_CHECK(weight.is_floating_point(), TypeError, "embedding_renorm_: expected a floating-point weight, got {}",
              dtype_name(weight.dtype()));
  XGRAD_CHECK(!std::isnan(max_norm) && max_norm >= 0, ValueError,
              "embedding_renorm_: max_norm must be a non-negative number, got {}", max_norm);
  XGRAD_CHECK(!std::isnan(norm_type), ValueError, "embedding_renorm_: norm_type must be a number, got {}", norm_type);
  check_range(idx, weight.size(0), "embedding_renorm_");
  XGRAD_CHECK(!(GradMode::is_enabled() && weight.requires_grad()), AutogradError,
              "embedding_renorm_: an in-place write to a weight that requires grad must run under NoGradGuard "
              "(F::embedding does this when max_norm is set)");
  XGRAD_CHECK(weight.is_contiguous(), ValueError,
              "embedding_renorm_: the weight must be contiguous to be renormalised in place (sizes {})",
              to_string(weight.sizes()));
  const int64_t dim = weight.size(1);
  // Each distinct index once, in ascending order, as PyTorch.
  std::vector<int64_t> rows(detail::typed_data<int64_t>(idx), detail::typed_data<int64_t>(idx) + idx.numel());
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  detail::dispatch_floating(weight.dtype(), "embedding_renorm_", [&]<typename T>() {
    T* w = detail::typed_data<T>(weight);
    for (int64_t r : rows) {
      T* row = w + r * dim;
      // The p-norm of the row, as Tensor::norm(p): p = inf the largest magnitude, p = 0 the
      // count of non-zeros.
      double norm = 0;
      if (std::isinf(norm_type) && norm_type > 0) {
        for (int64_t k = 0; k < dim; ++k) norm = std::max(norm, std::abs(static_cast<double>(row[k])));
      } else if (std::isinf(norm_type)) {
        norm = dim > 0 ? std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t k = 0; k < dim; ++k) norm = std::min(norm, std::abs(static_cast<double>(row[k])));
      } else if (norm_type == 0) {
        for (int64_t k = 0; k < dim; ++k) norm += row[k] != T(0) ? 1.0 : 0.0;
      } else {
        for (int64_t k = 0; k < dim; ++k) norm += std::pow(std::abs(static_cast<double>(row[k])), norm_type);
        norm = std::pow(norm, 1.0 / norm_type);
      }
      if (norm > max_norm) {
        const T scale = static_cast<T>(max_norm / (norm + 1e-7));  // PyTorch's epsilon
        for (int64_t k = 0; k < dim; ++k) row[k] *= scale;
      }
    }
  });
  detail::bump_version(weight);
  return weight;
}

namespace nn::functional {

Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options) {
  check_weight(weight, "embedding");
  const int64_t rows = weight.size(0);
  int64_t padding_idx = -1;
  if (options.padding_idx()) {
    const int64_t p = *options.padding_idx();
    XGRAD_CHECK(p >= -rows && p < rows, ValueError,
                "embedding: Padding_idx must be within num_embeddings: padding_idx {} for a weight of {} rows "
                "(allowed: {} to {})",
                p, rows, -rows, rows - 1);
    padding_idx = p < 0 ? p + rows : p;
  }
  if (options.max_norm()) {
    // The rows the input looks up are renormalised in place first, without recording a graph,
    // as PyTorch (the weight's values change for good).
    NoGradGuard no_grad;
    Tensor w = weight;
    embedding_renorm_(w, input, *options.max_norm(), options.norm_type());
  }
  return xgrad::embedding(weight, input, padding_idx, options.scale_grad_by_freq(), options.sparse());
}

}  // namespace nn::functional

}  // namespace xgrad
