#pragma once
// The chapter's from-scratch helpers that the book saves into its `d2l` package (`#@save`) and
// later sections import again: here, one header the examples share.

#include <xgrad/xgrad.hpp>

#include <vector>

namespace d2l {

/// 2-D cross-correlation from scratch, as the chapter's `corr2d`: output (i, j) is
/// `(X[i:i + h, j:j + w] * K).sum()`, for an output of shape (nh - kh + 1, nw - kw + 1).
///
/// The chapter fills a zero tensor element by element (`Y[i, j] = ...`). xgrad's `index_put_`
/// does not record a graph, so to keep corr2d differentiable (the Conv2D layer of
/// conv2d_scratch.cpp learns its weight through it) the values are gathered row by row and
/// stacked instead: the same numbers, built from differentiable operations only.
inline xgrad::Tensor corr2d(const xgrad::Tensor& X, const xgrad::Tensor& K) {
  using xgrad::indexing::Slice;
  const int64_t h = K.size(0), w = K.size(1);
  const int64_t out_h = X.size(0) - h + 1, out_w = X.size(1) - w + 1;
  std::vector<xgrad::Tensor> rows;
  for (int64_t i = 0; i < out_h; ++i) {
    std::vector<xgrad::Tensor> row;
    for (int64_t j = 0; j < out_w; ++j) row.push_back((X.index({Slice(i, i + h), Slice(j, j + w)}) * K).sum());
    rows.push_back(xgrad::stack(row));
  }
  return xgrad::stack(rows);
}

}  // namespace d2l
