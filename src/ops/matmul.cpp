// Matrix products: mm (2-D), bmm (3-D), and matmul with PyTorch's rules (dot, mv, vector-matrix,
// batched with broadcast batch dims). Products run on kernels::gemm; a row-major or transposed
// strided operand (e.g. `w.t()`) is passed as is with the matching transpose flag, without a copy.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/tensor_internal.hpp"
#include "kernels/gemm.hpp"

#include <algorithm>
#include <type_traits>

namespace xgrad {

using autograd::variable_list;

namespace {

// A rows x cols matrix as gemm wants it: pointer, transpose flag and row stride of the stored
// matrix. `hold` keeps a contiguous copy alive when the strides fit neither layout.
struct MatArg {
  Tensor hold;
  int64_t offset = 0;  // element offset from hold's data
  bool trans = false;
  int64_t ld = 1;
};

MatArg mat_arg(const Tensor& x, int64_t rows, int64_t cols, int64_t s0, int64_t s1, int64_t offset) {
  MatArg m;
  m.hold = x;
  m.offset = offset;
  if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= cols)) {
    m.ld = rows == 1 ? std::max<int64_t>(cols, 1) : s0;
    return m;
  }
  if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= rows)) {
    m.trans = true;
    m.ld = cols == 1 ? std::max<int64_t>(rows, 1) : s1;
    return m;
  }
  m.ld = -1;  // caller must copy
  return m;
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  XGRAD_CHECK(a.dtype() == b.dtype(), TypeError, "{}: expected both inputs to have the same dtype, got {} and {}", op,
              dtype_name(a.dtype()), dtype_name(b.dtype()));
  XGRAD_CHECK(a.dtype() != kBool, TypeError, "{}: not supported for bool tensors", op);
}

// C (m x n, contiguous, row stride n) = op(A) op(B).
template <typename T>
void gemm_any(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb,
              T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(c, c + m * n, T(0));
    return;
  }
  if constexpr (std::is_floating_point_v<T>) {
    kernels::gemm(ta, tb, m, n, k, T(1), a, lda, b, ldb, T(0), c, n);
  } else {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        // Unsigned arithmetic: int64 overflow wraps (as PyTorch) instead of being undefined.
        uint64_t s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += static_cast<uint64_t>(ta ? a[p * lda + i] : a[i * lda + p]) *
               static_cast<uint64_t>(tb ? b[j * ldb + p] : b[p * ldb + j]);
        c[i * n + j] = static_cast<T>(s);
      }
  }
}

// Batched product of x (batch, m, k) and y (batch, k, n), given as 3-D strided tensors
// (batch stride may be 0). Result is contiguous (batch, m, n).
Tensor batched_product(const Tensor& x, const Tensor& y, const char* op) {
  const int64_t B = x.size(0), m = x.size(1), k = x.size(2), n = y.size(2);
  Tensor out = make_tensor({B, m, n}, x.dtype(), op);
  Tensor xa = x, ya = y;
  auto fa = mat_arg(xa, m, k, xa.stride(1), xa.stride(2), 0);
  if (fa.ld < 0) {
    xa = x.contiguous();
    fa = mat_arg(xa, m, k, xa.stride(1), xa.stride(2), 0);
  }
  auto fb = mat_arg(ya, k, n, ya.stride(1), ya.stride(2), 0);
  if (fb.ld < 0) {
    ya = y.contiguous();
    fb = mat_arg(ya, k, n, ya.stride(1), ya.stride(2), 0);
  }
  detail::dispatch_all(x.dtype(), op, [&]<typename T>() {
    if constexpr (!std::is_same_v<T, bool>) {
      const T* pa = detail::typed_data<T>(xa);
      const T* pb = detail::typed_data<T>(ya);
      T* pc = detail::typed_data<T>(out);
      for (int64_t i = 0; i < B; ++i)
        gemm_any<T>(fa.trans, fb.trans, m, n, k, pa + i * xa.stride(0), fa.ld, pb + i * ya.stride(0), fb.ld,
                    pc + i * m * n);
    }
  });
  return out;
}

// 2-D product through the batched path with a batch of one (no copies: views of x and y).
Tensor mm_kernel(const Tensor& a, const Tensor& b) {
  const Tensor a3 = make_view(a, {1, a.size(0), a.size(1)}, {0, a.stride(0), a.stride(1)}, a.storage_offset());
  const Tensor b3 = make_view(b, {1, b.size(0), b.size(1)}, {0, b.stride(0), b.stride(1)}, b.storage_offset());
  Tensor r = batched_product(a3, b3, "mm");
  return make_view(r, {a.size(0), b.size(1)}, {b.size(1), 1}, 0);
}

struct MmOp : autograd::Function<MmOp> {
  static std::string_view name() { return "MmBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
    XGRAD_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, "mm: expected 2-D tensors, got {}-D and {}-D (sizes {} and {})",
                a.dim(), b.dim(), to_string(a.sizes()), to_string(b.sizes()));
    check_same_dtype(a, b, "mm");
    XGRAD_CHECK(a.size(1) == b.size(0), ShapeError, "mm: mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
                a.size(0), a.size(1), b.size(0), b.size(1));
    ctx->save_for_backward({a, b});
    return mm_kernel(a, b);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = g[0].mm(s[1].t());
    if (ctx->needs_input_grad(1)) gb = s[0].t().mm(g[0]);
    return {ga, gb};
  }
};

struct BmmOp : autograd::Function<BmmOp> {
  static std::string_view name() { return "BmmBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
    XGRAD_CHECK(a.dim() == 3 && b.dim() == 3, ShapeError,
                "bmm: expected 3-D tensors, got {}-D and {}-D (sizes {} and {})", a.dim(), b.dim(),
                to_string(a.sizes()), to_string(b.sizes()));
    check_same_dtype(a, b, "bmm");
    XGRAD_CHECK(a.size(0) == b.size(0) && a.size(2) == b.size(1), ShapeError,
                "bmm: batch1 and batch2 shapes cannot be multiplied ({} and {})", to_string(a.sizes()),
                to_string(b.sizes()));
    ctx->save_for_backward({a, b});
    return batched_product(a, b, "bmm");
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = bmm(g[0], s[1].transpose(1, 2));
    if (ctx->needs_input_grad(1)) gb = bmm(s[0].transpose(1, 2), g[0]);
    return {ga, gb};
  }
};

struct DotOp : autograd::Function<DotOp> {
  static std::string_view name() { return "DotBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
    check_same_dtype(a, b, "dot");
    XGRAD_CHECK(a.size(0) == b.size(0), ShapeError,
                "dot: inconsistent tensor size, expected tensor {} and src {} to have the same number of elements",
                to_string(a.sizes()), to_string(b.sizes()));
    ctx->save_for_backward({a, b});
    const int64_t k = a.size(0);
    const Tensor a3 = make_view(a, {1, 1, k}, {0, 0, a.stride(0)}, a.storage_offset());
    const Tensor b3 = make_view(b, {1, k, 1}, {0, b.stride(0), 0}, b.storage_offset());
    Tensor r = batched_product(a3, b3, "dot");
    return make_view(r, {}, {}, 0);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = g[0] * s[1];
    if (ctx->needs_input_grad(1)) gb = g[0] * s[0];
    return {ga, gb};
  }
};

// matrix (m, k) times vector (k)
struct MvOp : autograd::Function<MvOp> {
  static std::string_view name() { return "MvBackward0"; }
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& v) {
    check_same_dtype(a, v, "mv");
    XGRAD_CHECK(a.size(1) == v.size(0), ShapeError, "mv: size mismatch, got matrix {} and vector {}",
                to_string(a.sizes()), to_string(v.sizes()));
    ctx->save_for_backward({a, v});
    const Tensor v2 = make_view(v, {v.size(0), 1}, {v.stride(0), 1}, v.storage_offset());
    Tensor r = mm_kernel(a, v2);
    return make_view(r, {a.size(0)}, {1}, 0);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    auto s = ctx->get_saved_variables();
    Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = g[0].unsqueeze(1) * s[1].unsqueeze(0);
    if (ctx->needs_input_grad(1)) gb = matmul(s[0].t(), g[0]);
    return {ga, gb};
  }
};

// Reshapes the fresh, contiguous result of mm/bmm without a copy; PyTorch's matmul records
// this step as UnsafeViewBackward0, so grad_fn names match.
struct UnsafeViewOp : autograd::Function<UnsafeViewOp> {
  static std::string_view name() { return "UnsafeViewBackward0"; }
  // Its output reuses a fresh buffer made for it: not a view of anything (LibTorch's _unsafe_view).
  static constexpr bool outputs_are_views = false;
  struct State {
    std::vector<int64_t> input_sizes;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, std::vector<int64_t> sizes) {
    ctx->emplace_state<State>(x.sizes().vec());
    const Tensor c = x.contiguous();
    return make_view(c, sizes, contiguous_strides(sizes), c.storage_offset());
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0].reshape(ctx->state<State>().input_sizes)};
  }
};

std::vector<int64_t> cat_sizes(IntArrayRef a, std::initializer_list<int64_t> b) {
  std::vector<int64_t> r = a.vec();
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "mm");
  detail::check_defined(b, "mm");
  return MmOp::apply(a, b);
}
Tensor bmm(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "bmm");
  detail::check_defined(b, "bmm");
  return BmmOp::apply(a, b);
}
Tensor Tensor::mm(const Tensor& other) const { return xgrad::mm(*this, other); }
Tensor Tensor::matmul(const Tensor& other) const { return xgrad::matmul(*this, other); }

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "matmul");
  detail::check_defined(b, "matmul");
  const int64_t da = a.dim(), db = b.dim();
  XGRAD_CHECK(da >= 1 && db >= 1, ShapeError,
              "matmul: both arguments need to be at least 1-D, but they are {}-D and {}-D (sizes {} and {})", da, db,
              to_string(a.sizes()), to_string(b.sizes()));
  check_same_dtype(a, b, "matmul");
  const int64_t k = a.size(-1);
  const int64_t kb = db == 1 ? b.size(0) : b.size(-2);
  XGRAD_CHECK(k == kb, ShapeError, "matmul: shapes {} and {} cannot be multiplied ({} vs {} in the contracted dimension)",
              to_string(a.sizes()), to_string(b.sizes()), k, kb);
  if (da == 1 && db == 1) return DotOp::apply(a, b);
  if (da == 2 && db == 1) return MvOp::apply(a, b);
  if (da == 1 && db == 2) return mm(a.unsqueeze(0), b).squeeze(0);
  if (da == 2 && db == 2) return mm(a, b);
  if (da >= 3 && db <= 2) {
    // Fold a's batch dims into rows: one large mm instead of many small ones (as PyTorch).
    std::vector<int64_t> out_sizes(a.sizes().begin(), a.sizes().end() - 1);
    const Tensor b2 = db == 1 ? b.unsqueeze(1) : b;
    if (db == 2) out_sizes.push_back(b.size(1));
    return UnsafeViewOp::apply(mm(a.reshape({-1, k}), b2), out_sizes);
  }
  // General batched case: broadcast the batch dims and run bmm.
  const Tensor a1 = da == 1 ? a.unsqueeze(0) : a;
  const Tensor b1 = db == 1 ? b.unsqueeze(1) : b;
  const IntArrayRef sa = a1.sizes(), sb = b1.sizes();
  const std::vector<int64_t> batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  const auto batch = broadcast_shapes(batch_a, batch_b, "matmul");
  int64_t nb = 1;
  for (auto s : batch) nb *= s;
  const int64_t m = a1.size(-2), n = b1.size(-1);
  const Tensor a3 = a1.expand(cat_sizes(batch, {m, k})).reshape({nb, m, k});
  const Tensor b3 = b1.expand(cat_sizes(batch, {k, n})).reshape({nb, k, n});
  Tensor out = UnsafeViewOp::apply(bmm(a3, b3), cat_sizes(batch, {m, n}));
  if (da == 1) out = out.squeeze(-2);
  if (db == 1) out = out.squeeze(-1);
  return out;
}

}  // namespace xgrad
