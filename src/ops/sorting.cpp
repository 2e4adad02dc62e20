// Sorting along a dim: sort and topk, both returning (values, int64 indices).
//
// Each row along `dim` is ordered with a stable sort of its positions, NaN counting as larger
// than every number (PyTorch's order), so equal values keep their input order. topk takes the
// first k of that order. The values' gradient goes back to the positions the indices name: a
// scatter_add into zeros, which is itself differentiable (its gradient is a gather), so second
// derivatives work.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/tensor_internal.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>

namespace xgrad {

using autograd::variable_list;

namespace {


// a before b in ascending order, NaN last.
template <typename T>
bool ascending(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

// The first `k` positions of each row of x along d, ordered (descending or ascending), with their
// values. Result sizes: x's with size k along d.
std::pair<Tensor, Tensor> sort_kernel(const Tensor& x, int64_t d, bool descending, int64_t k, const char* op) {
  const int64_t nd = x.dim();
  const int64_t n = nd == 0 ? 1 : x.size(d);
  int64_t outer = 1, inner = 1;
  for (int64_t j = 0; j < nd; ++j) {
    if (j < d) outer *= x.size(j);
    if (j > d) inner *= x.size(j);
  }
  std::vector<int64_t> out_sizes = x.sizes().vec();
  if (nd > 0) out_sizes[static_cast<size_t>(d)] = k;
  Tensor values = make_tensor(out_sizes, x.dtype(), op);
  Tensor indices = make_tensor(out_sizes, kInt64, op);
  if (values.numel() == 0) return {values, indices};
  const Tensor c = x.contiguous();
  detail::dispatch_all(x.dtype(), op, [&]<typename T>() {
    const T* px = detail::typed_data<T>(c);
    T* pv = detail::typed_data<T>(values);
    int64_t* pi = detail::typed_data<int64_t>(indices);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::vector<T> row(static_cast<size_t>(n));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const T* base = px + o * n * inner + i;
        for (int64_t j = 0; j < n; ++j) row[static_cast<size_t>(j)] = base[j * inner];
        std::iota(order.begin(), order.end(), int64_t{0});
        auto by_value = [&](int64_t a, int64_t b) {
          const T va = row[static_cast<size_t>(a)], vb = row[static_cast<size_t>(b)];
          return descending ? ascending(vb, va) : ascending(va, vb);
        };
        std::stable_sort(order.begin(), order.end(), by_value);
        T* vo = pv + o * k * inner + i;
        int64_t* io = pi + o * k * inner + i;
        for (int64_t j = 0; j < k; ++j) {
          vo[j * inner] = row[static_cast<size_t>(order[static_cast<size_t>(j)])];
          io[j * inner] = order[static_cast<size_t>(j)];
        }
      }
  });
  return {values, indices};
}

// The values' gradient at the positions the indices name (zero elsewhere).
Tensor select_backward(const Tensor& g, IntArrayRef in_sizes, int64_t d, const Tensor& indices) {
  if (in_sizes.empty()) return g;  // a 0-dim input is its own (only) element
  return zeros(in_sizes, g.dtype()).scatter_add(d, indices, g);
}

template <bool IsTopk>
struct SortOp : autograd::Function<SortOp<IsTopk>> {
  static std::string_view name() { return IsTopk ? "TopkBackward0" : "SortBackward0"; }
  struct State {
    std::vector<int64_t> in_sizes;  // the input's sizes
    int64_t dim;
  };
  static variable_list forward(AutogradContext* ctx, const Tensor& x, int64_t d, bool descending, int64_t k) {
    auto [values, indices] = sort_kernel(x, d, descending, k, IsTopk ? "topk" : "sort");
    ctx->save_for_backward({indices});
    ctx->emplace_state<State>(State{x.sizes().vec(), d});
    ctx->mark_non_differentiable({indices});
    return {values, indices};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const Tensor idx = ctx->get_saved_variables()[0];
    const State& st = ctx->state<State>();
    return {select_backward(g[0], st.in_sizes, st.dim, idx)};
  }
};

}  // namespace

std::tuple<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending) {
  detail::check_defined(x, "sort");
  const int64_t d = detail::wrap_dim(dim, x.dim(), "sort");
  auto r = SortOp<false>::apply(x, d, descending, x.dim() == 0 ? int64_t{1} : x.size(d));
  return {r[0], r[1]};
}
std::tuple<Tensor, Tensor> sort(const Tensor& x, std::optional<bool> /*stable*/, int64_t dim, bool descending) {
  // xgrad's sort is always stable, which also satisfies stable=false/nullopt.
  return sort(x, dim, descending);
}
std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool /*sorted*/) {
  detail::check_defined(x, "topk");
  const int64_t d = detail::wrap_dim(dim, x.dim(), "topk");
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  XGRAD_CHECK(k >= 0 && k <= n, ValueError, "topk: k = {} is out of range for dimension {} of size {} (input sizes {})",
              k, d, n, to_string(x.sizes()));
  // Always returned in sorted order, which sorted=false allows too.
  auto r = SortOp<true>::apply(x, d, largest, k);
  return {r[0], r[1]};
}

std::tuple<Tensor, Tensor> Tensor::sort(int64_t dim, bool descending) const {
  return xgrad::sort(*this, dim, descending);
}
std::tuple<Tensor, Tensor> Tensor::sort(std::optional<bool> stable, int64_t dim, bool descending) const {
  return xgrad::sort(*this, stable, dim, descending);
}
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return xgrad::topk(*this, k, dim, largest, sorted);
}

}  // namespace xgrad
