// Embedding: option checks, PyTorch's initialisation (N(0, 1), padding row zeroed), forward
// through functional::embedding, from_pretrained and PyTorch's extra_repr text.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/functional/embedding.hpp>
#include <xgrad/nn/init.hpp>
#include <xgrad/nn/modules/embedding.hpp>

#include "nn/modules/common.hpp"

#include <fmt/format.h>

namespace xgrad::nn {

using namespace detail;

EmbeddingImpl::EmbeddingImpl(EmbeddingOptions options_) : options(std::move(options_)) { reset(); }

void EmbeddingImpl::reset() {
  const int64_t n = options.num_embeddings(), d = options.embedding_dim();
  XGRAD_CHECK(n >= 0, ValueError, "Embedding: num_embeddings must be non-negative, got {}", n);
  XGRAD_CHECK(d >= 0, ValueError, "Embedding: embedding_dim must be non-negative, got {}", d);
  XGRAD_CHECK(!options.sparse(), ValueError,
              "Embedding: sparse=true is not supported: xgrad has no sparse tensors, so the weight gradient is "
              "always dense (use sparse(false))");
  if (options.padding_idx()) {
    const int64_t p = *options.padding_idx();
    XGRAD_CHECK(p >= -n && p < n, ValueError,
                "Embedding: Padding_idx must be within num_embeddings: padding_idx {} for {} embeddings (allowed: "
                "{} to {})",
                p, n, -n, n - 1);
    if (p < 0) options.padding_idx(p + n);  // stored wrapped, as LibTorch
  }
  XGRAD_CHECK(!options.max_norm() || (!std::isnan(*options.max_norm()) && *options.max_norm() >= 0), ValueError,
              "Embedding: max_norm must be a non-negative number, got {}", *options.max_norm());
  parameters_.clear();  // reset() may run again (re-creates the weight)
  if (!options._weight().defined()) {
    weight = register_parameter("weight", empty({n, d}));
    reset_parameters();
    return;
  }
  const Tensor& given = options._weight();
  XGRAD_CHECK(given.sizes() == IntArrayRef({n, d}), ShapeError,
              "Embedding: Shape of _weight does not match num_embeddings and embedding_dim: _weight has sizes {}, "
              "expected [{}, {}]",
              to_string(given.sizes()), n, d);
  XGRAD_CHECK(given.is_floating_point(), TypeError, "Embedding: _weight must be a floating-point tensor, got {}",
              dtype_name(given.dtype()));
  // A new tensor sharing the given one's storage (PyTorch: Parameter(_weight)): the caller's
  // tensor keeps its own requires_grad, and a clone's reset() cannot touch the original's weight.
  weight = register_parameter("weight", given.detach());
}

void EmbeddingImpl::reset_parameters() {
  init::normal_(weight);
  if (options.padding_idx()) {
    NoGradGuard no_grad;
    weight.select(0, *options.padding_idx()).fill_(0.0);
  }
}

Tensor EmbeddingImpl::forward(const Tensor& indices) {
  return functional::embedding(indices, weight,
                               functional::EmbeddingFuncOptions()
                                   .padding_idx(options.padding_idx())
                                   .max_norm(options.max_norm())
                                   .norm_type(options.norm_type())
                                   .scale_grad_by_freq(options.scale_grad_by_freq())
                                   .sparse(options.sparse()));
}

std::string EmbeddingImpl::extra_repr() const {
  std::string s = fmt::format("{}, {}", options.num_embeddings(), options.embedding_dim());
  if (options.padding_idx()) s += fmt::format(", padding_idx={}", *options.padding_idx());
  if (options.max_norm()) s += fmt::format(", max_norm={}", py_float(*options.max_norm()));
  if (options.norm_type() != 2.) s += fmt::format(", norm_type={}", py_float(options.norm_type()));
  if (options.scale_grad_by_freq()) s += ", scale_grad_by_freq=True";
  if (options.sparse()) s += ", sparse=True";
  return s;
}

Embedding Embedding::from_pretrained(const Tensor& embeddings, const EmbeddingFromPretrainedOptions& options) {
  XGRAD_CHECK(embeddings.defined(), ValueError, "Embedding::from_pretrained: embeddings is an undefined tensor");
  XGRAD_CHECK(embeddings.dim() == 2, ValueError,
              "Embedding::from_pretrained: Embeddings parameter is expected to be 2-dimensional, got sizes {}",
              to_string(embeddings.sizes()));
  XGRAD_CHECK(embeddings.is_floating_point(), TypeError,
              "Embedding::from_pretrained: embeddings must be a floating-point tensor, got {}",
              dtype_name(embeddings.dtype()));
  Embedding embedding(EmbeddingOptions(embeddings.size(0), embeddings.size(1))
                          ._weight(embeddings)
                          .padding_idx(options.padding_idx())
                          .max_norm(options.max_norm())
                          .norm_type(options.norm_type())
                          .scale_grad_by_freq(options.scale_grad_by_freq())
                          .sparse(options.sparse()));
  embedding->weight.requires_grad_(!options.freeze());
  return embedding;
}

}  // namespace xgrad::nn
