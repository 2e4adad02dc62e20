// Python-style indexing (`x.index({Slice(1, 3), None, idx})`, `x.index_put_({mask}, 0)`).
//
// Integers, slices, None, booleans and Ellipsis become views (select / slice / unsqueeze).
// Tensor indices ("advanced indexing") are resolved afterwards, in one step, into the flat
// row-major positions of the gathered elements within that view, so a gather (IndexBackward0) and
// its scatter-add gradient, or the scattered write of index_put_, need no further case analysis.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/indexing.hpp>
#include <xgrad/tensor.hpp>
#include <xgrad/warning.hpp>

#include "core/dispatch.hpp"
#include "core/factory_internal.hpp"
#include "core/tensor_internal.hpp"

#include <cstring>
#include <string_view>

namespace xgrad {

namespace detail {
// Defined in shape.cpp.
Tensor index_select_backward(const Tensor& grad, IntArrayRef sizes, int64_t dim, const Tensor& index);
Tensor alias(const Tensor& x);
}  // namespace detail

namespace indexing {

TensorIndex::TensorIndex(const char* str) : type_(Type::Ellipsis) {
  XGRAD_CHECK(str != nullptr && std::string_view(str) == "...", ValueError,
              "TensorIndex: Expected \"...\" to represent an ellipsis index, but got \"{}\"", str ? str : "(null)");
}

// The defaults depend on the step's sign, as Python's slice.indices(): a backward slice starts
// at the end. Stored resolved, as LibTorch, so that start()/stop() are plain integers.
Slice::Slice(std::optional<int64_t> start, std::optional<int64_t> stop, std::optional<int64_t> step)
    : step_(step.value_or(1)) {
  XGRAD_CHECK(step_ != 0, ValueError, "Slice: slice step cannot be zero");
  // -INDEX_MAX - 1 has no positive counterpart; code reversing a slice negates the step.
  if (step_ < -INDEX_MAX) step_ = -INDEX_MAX;
  start_ = start.value_or(step_ < 0 ? INDEX_MAX : 0);
  stop_ = stop.value_or(step_ < 0 ? INDEX_MIN : INDEX_MAX);
}

std::ostream& operator<<(std::ostream& os, const Slice& slice) {
  return os << slice.start() << ':' << slice.stop() << ':' << slice.step();
}

std::ostream& operator<<(std::ostream& os, const TensorIndex& index) {
  switch (index.type()) {
    case TensorIndex::Type::None: return os << "None";
    case TensorIndex::Type::Ellipsis: return os << "...";
    case TensorIndex::Type::Integer: return os << index.integer();
    case TensorIndex::Type::Boolean: return os << (index.boolean() ? "true" : "false");
    case TensorIndex::Type::Slice: return os << index.slice();
    case TensorIndex::Type::Tensor: return os << index.tensor();
  }
  return os;
}

std::ostream& operator<<(std::ostream& os, const std::vector<TensorIndex>& indices) {
  os << '(';
  for (size_t i = 0; i < indices.size(); ++i) {
    if (i > 0) os << ", ";
    os << indices[i];
  }
  return os << ')';
}

std::string to_string(const TensorIndex& index) {
  switch (index.type()) {
    case TensorIndex::Type::None: return "None";
    case TensorIndex::Type::Ellipsis: return "...";
    case TensorIndex::Type::Integer: return std::to_string(index.integer());
    case TensorIndex::Type::Boolean: return index.boolean() ? "True" : "False";
    case TensorIndex::Type::Slice: {
      // Python's spelling: bounds equal to their defaults are left out.
      const auto& s = index.slice();
      const bool back = s.step() < 0;
      const bool default_start = s.start() == (back ? INDEX_MAX : 0);
      const bool default_stop = s.stop() == (back ? INDEX_MIN : INDEX_MAX);
      std::string out = fmt::format("{}:{}", default_start ? std::string() : std::to_string(s.start()),
                                    default_stop ? std::string() : std::to_string(s.stop()));
      if (s.step() != 1) out += fmt::format(":{}", s.step());
      return out;
    }
    case TensorIndex::Type::Tensor:
      return index.tensor().defined() ? fmt::format("Tensor(sizes={}, dtype={})", xgrad::to_string(index.tensor().sizes()),
                                                    dtype_name(index.tensor().dtype()))
                                      : "Tensor(undefined)";
  }
  return "?";
}

}  // namespace indexing

namespace {

using indexing::TensorIndex;

std::string describe(ArrayRef<TensorIndex> indices) {
  std::string s = "[";
  for (size_t i = 0; i < indices.size(); ++i) s += (i ? ", " : "") + indexing::to_string(indices[i]);
  return s + "]";
}

// A tensor index found while applying the basic ones: it indexes dimension `dim` (and, for a
// mask, the next mask.dim()-1 dimensions) of the basic view.
struct Advanced {
  int64_t dim;
  Tensor index;
  size_t position;  // in the user's index list, for messages
};

int64_t checked_position(int64_t i, int64_t size, int64_t dim, const char* op) {
  XGRAD_CHECK(i >= -size && i < size, IndexError, "{}: index {} is out of bounds for dimension {} with size {}", op, i,
              dim, size);
  return i < 0 ? i + size : i;
}

// An index tensor in the dtypes the position arithmetic takes (int64 positions, bool masks): a
// uint8 tensor is a mask, as PyTorch (which warns that this is deprecated, except for a 0-dim
// one, which it reads as a boolean without a warning); an int32 tensor gives positions, as
// PyTorch. Other dtypes are left for the callers to refuse.
Tensor normalize_index_dtype(const Tensor& t, const char* op) {
  if (!t.defined()) return t;
  if (t.dtype() == kUInt8) {
    if (t.dim() > 0)
      XGRAD_WARN("{}: indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.", op);
    return t.detach().to(kBool);
  }
  if (t.dtype() == kInt32) return t.detach().to(kInt64);
  return t;
}

std::vector<TensorIndex> normalize_index_dtypes(ArrayRef<TensorIndex> indices, const char* op) {
  std::vector<TensorIndex> out(indices.begin(), indices.end());
  for (auto& idx : out) {
    if (!idx.is_tensor()) continue;
    const Tensor& t = idx.tensor();
    // A 0-dim integer tensor of any width is an integer index (a view), read as such below.
    if (t.defined() && t.dim() == 0 && is_integral(t.dtype(), false) && t.dtype() != kUInt8) continue;
    idx = TensorIndex(normalize_index_dtype(t, op));
  }
  return out;
}

// PyTorch's message for an index tensor of a dtype indexing does not take.
void check_index_dtype(const Tensor& t, size_t position, const std::string& indices, const char* op) {
  XGRAD_CHECK(t.dtype() == kInt64 || t.dtype() == kBool, IndexError,
              "{}: tensors used as indices must be long, int, byte or bool tensors, got {} at position {} (indices {})",
              op, dtype_name(t.dtype()), position, indices);
}

// Applies integers, slices, None, booleans and the ellipsis as views of `self`; returns the
// view and collects the tensor indices into `adv`.
Tensor apply_basic(const Tensor& self, ArrayRef<TensorIndex> raw_indices, std::vector<Advanced>& adv,
                   const char* op) {
  const std::vector<TensorIndex> normalized = normalize_index_dtypes(raw_indices, op);
  const ArrayRef<TensorIndex> indices(normalized);
  const int64_t ndim = self.dim();
  int64_t consumed = 0;
  int ellipses = 0;
  for (size_t i = 0; i < indices.size(); ++i) {
    const auto& idx = indices[i];
    if (idx.is_integer() || idx.is_slice()) ++consumed;
    if (idx.is_ellipsis()) ++ellipses;
    if (idx.is_tensor()) {
      const Tensor& t = idx.tensor();
      XGRAD_CHECK(t.defined(), ValueError, "{}: index #{} is an undefined tensor (indices {})", op, i, describe(indices));
      if (t.dim() == 0 && is_integral(t.dtype(), false)) {  // an integer index (normalized: not uint8)
        ++consumed;
        continue;
      }
      check_index_dtype(t, i, describe(indices), op);
      consumed += t.dtype() == kBool ? t.dim() : 1;
    }
  }
  XGRAD_CHECK(ellipses <= 1, IndexError, "{}: an index can only have a single ellipsis ('...') (indices {})", op,
              describe(indices));
  // A 0-dim tensor has no dimension to index; PyTorch says "invalid index of a 0-dim tensor".
  XGRAD_CHECK(ndim > 0 || consumed == 0, IndexError,
              "{}: invalid index of a 0-dim tensor (indices {}); use tensor.item<T>() to read its value", op,
              describe(indices));
  XGRAD_CHECK(consumed <= ndim, IndexError, "{}: too many indices for tensor of dimension {} (indices {}, sizes {})", op,
              ndim, describe(indices), xgrad::to_string(self.sizes()));

  Tensor r = self;
  int64_t d = 0;
  // The dimension an index stands at in the user's index list (PyTorch's "real" dimension),
  // which out-of-bounds messages name: for x[0, 5], dimension 1, although 5 selects from
  // dimension 0 of the view x[0].
  int64_t real_dim = 0;
  // A boolean scalar is a new dimension of size 1 (true) or 0 (false) indexed by a long tensor
  // [0] or [] (as PyTorch): several of them broadcast together into one dimension, and the
  // result is a copy (advanced indexing), not a view.
  auto insert_bool = [&](bool b, size_t position) {
    r = r.unsqueeze(d);
    Tensor index = make_tensor({b ? 1 : 0}, kInt64);
    if (b) index.data_ptr<int64_t>()[0] = 0;
    adv.push_back({d, index, position});
    ++d;
    ++real_dim;
  };
  for (size_t i = 0; i < indices.size(); ++i) {
    const auto& idx = indices[i];
    switch (idx.type()) {
      case TensorIndex::Type::None:
        r = r.unsqueeze(d++);
        ++real_dim;
        break;
      case TensorIndex::Type::Boolean:
        insert_bool(idx.boolean(), i);
        break;
      case TensorIndex::Type::Ellipsis:
        d += ndim - consumed;
        real_dim += ndim - consumed;
        break;
      case TensorIndex::Type::Integer:
        r = r.select(d, checked_position(idx.integer(), r.size(d), real_dim, op));
        ++real_dim;
        break;
      case TensorIndex::Type::Slice: {
        const auto& s = idx.slice();
        XGRAD_CHECK(s.step() > 0, ValueError, "{}: step must be greater than zero, got {} (indices {})", op, s.step(),
                    describe(indices));
        r = r.slice(d, s.start(), s.stop(), s.step());
        ++d;
        ++real_dim;
        break;
      }
      case TensorIndex::Type::Tensor: {
        const Tensor& t = idx.tensor();
        if (t.dim() == 0 && t.dtype() == kBool) {
          insert_bool(t.item<bool>(), i);
        } else if (t.dim() == 0) {
          r = r.select(d, checked_position(t.item<int64_t>(), r.size(d), real_dim, op));
          ++real_dim;
        } else {
          adv.push_back({d, t, i});
          const int64_t k = t.dtype() == kBool ? t.dim() : 1;
          d += k;
          real_dim += k;
        }
        break;
      }
    }
  }
  return r;
}

// Flat row-major positions, within the basic view of `sizes`, of the elements the tensor
// indices pick, shaped like the result (PyTorch's rules: the index tensors broadcast together;
// their dimensions replace the indexed ones in place when the indexed dimensions are adjacent,
// and go first otherwise).
Tensor advanced_positions(IntArrayRef sizes, const std::vector<Advanced>& adv, const char* op) {
  struct Coord {
    int64_t dim;
    Tensor values;  // int64
  };
  std::vector<Coord> coords;
  for (const auto& a : adv) {
    const Tensor& t = a.index;
    if (t.dtype() == kBool) {
      const int64_t k = t.dim();
      const IntArrayRef covered(sizes.data() + a.dim, static_cast<size_t>(k));
      XGRAD_CHECK(t.sizes() == covered, IndexError,
                  "{}: the shape of the mask {} at index {} does not match the shape of the indexed tensor {} at "
                  "dimension {}",
                  op, xgrad::to_string(t.sizes()), a.position, xgrad::to_string(sizes), a.dim);
      // nonzero(): one coordinate list per mask dimension.
      const auto mask = t.to_vector<bool>();
      std::vector<std::vector<int64_t>> cs(static_cast<size_t>(k));
      for (size_t e = 0; e < mask.size(); ++e) {
        if (!mask[e]) continue;
        int64_t rem = static_cast<int64_t>(e);
        for (int64_t j = k - 1; j >= 0; --j) {
          cs[j].push_back(rem % covered[j]);
          rem /= covered[j];
        }
      }
      for (int64_t j = 0; j < k; ++j) {
        const auto n = static_cast<int64_t>(cs[j].size());
        Tensor c = make_tensor({n}, kInt64);
        if (n > 0) std::memcpy(c.data_ptr<int64_t>(), cs[j].data(), static_cast<size_t>(n) * sizeof(int64_t));
        coords.push_back({a.dim + j, c});
      }
    } else {
      coords.push_back({a.dim, t});
    }
  }

  std::vector<int64_t> bshape = coords[0].values.sizes().vec();
  for (size_t i = 1; i < coords.size(); ++i) {
    const auto next = coords[i].values.sizes();
    try {
      bshape = broadcast_shapes(bshape, next, op);
    } catch (const ShapeError&) {
      std::string shapes;
      for (size_t j = 0; j < coords.size(); ++j)
        shapes += (j ? ", " : "") + xgrad::to_string(coords[j].values.sizes());
      XGRAD_THROW(IndexError, "{}: shape mismatch: indexing tensors could not be broadcast together with shapes {}", op,
                  shapes);
    }
  }

  const int64_t ndim = static_cast<int64_t>(sizes.size());
  const auto cstride = contiguous_strides(sizes);
  std::vector<bool> indexed(static_cast<size_t>(ndim), false);
  bool adjacent = true;
  for (size_t i = 0; i < coords.size(); ++i) {
    indexed[coords[i].dim] = true;
    if (i > 0 && coords[i].dim != coords[i - 1].dim + 1) adjacent = false;
  }

  int64_t bnumel = 1;
  for (auto s : bshape) bnumel *= s;
  // No position exists in a dimension of size 0, so a non-empty index into one is out of bounds
  // whatever its values (PyTorch's check and message).
  for (const auto& c : coords)
    XGRAD_CHECK(sizes[c.dim] != 0 || bnumel == 0, IndexError,
                "{}: index is out of bounds for dimension with size 0 (dimension {} of the indexed sizes {}, index "
                "shape {})",
                op, c.dim, xgrad::to_string(sizes), xgrad::to_string(bshape));
  std::vector<int64_t> base(static_cast<size_t>(bnumel), 0);
  for (const auto& c : coords) {
    const auto v = c.values.expand(bshape).to_vector<int64_t>();
    const int64_t size = sizes[c.dim];
    for (size_t e = 0; e < v.size(); ++e) base[e] += checked_position(v[e], size, c.dim, op) * cstride[c.dim];
  }

  // Offsets of every combination of the non-indexed dimensions before/after the result's index block.
  auto offsets_of = [&](const std::vector<int64_t>& dims) {
    std::vector<int64_t> offs{0};
    for (int64_t dd : dims) {
      std::vector<int64_t> next;
      next.reserve(offs.size() * static_cast<size_t>(sizes[dd]));
      for (int64_t o : offs)
        for (int64_t j = 0; j < sizes[dd]; ++j) next.push_back(o + j * cstride[dd]);
      offs = std::move(next);
    }
    return offs;
  };
  std::vector<int64_t> pre_dims, post_dims;
  for (int64_t dd = 0; dd < ndim; ++dd) {
    if (indexed[dd]) continue;
    (adjacent && dd < coords[0].dim ? pre_dims : post_dims).push_back(dd);
  }
  std::vector<int64_t> out_shape;
  for (auto dd : pre_dims) out_shape.push_back(sizes[dd]);
  out_shape.insert(out_shape.end(), bshape.begin(), bshape.end());
  for (auto dd : post_dims) out_shape.push_back(sizes[dd]);

  const auto pre = offsets_of(pre_dims);
  const auto post = offsets_of(post_dims);
  Tensor positions = make_tensor(out_shape, kInt64, "index");
  int64_t* out = positions.data_ptr<int64_t>();
  size_t k = 0;
  for (int64_t p : pre)
    for (int64_t b : base)
      for (int64_t q : post) out[k++] = p + b + q;
  return positions;
}

// Element offset (in storage elements, from the tensor's own start) of flat row-major position `i`.
int64_t physical_offset(IntArrayRef sizes, IntArrayRef strides, int64_t i) {
  int64_t off = 0;
  for (size_t d = sizes.size(); d-- > 0;) {
    off += (i % sizes[d]) * strides[d];
    i /= sizes[d];
  }
  return off;
}

// out[k] = x.flatten()[positions[k]], shaped like positions.
struct IndexOp : autograd::Function<IndexOp> {
  static std::string_view name() { return "IndexBackward0"; }
  struct State {
    std::vector<int64_t> input_sizes;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& positions) {
    ctx->save_for_backward({positions});
    ctx->emplace_state<State>(x.sizes().vec());
    Tensor out = make_tensor(positions.sizes(), x.dtype(), "index");
    const size_t es = x.element_size();
    const auto* src = static_cast<const char*>(x.impl()->data());
    auto* dst = static_cast<char*>(out.impl()->data());
    const int64_t* pos = positions.data_ptr<int64_t>();
    for (int64_t k = 0; k < positions.numel(); ++k) {
      const int64_t off = physical_offset(x.sizes(), x.strides(), pos[k]);
      std::memcpy(dst + static_cast<size_t>(k) * es, src + static_cast<size_t>(off) * es, es);
    }
    return out;
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list g) {
    auto saved = ctx->get_saved_variables();
    const auto& sizes = ctx->state<State>().input_sizes;
    int64_t numel = 1;
    for (auto s : sizes) numel *= s;
    Tensor flat = detail::index_select_backward(g[0].reshape({-1}), {numel}, 0, saved[0].reshape({-1}));
    return {flat.view(sizes), Tensor()};
  }
};

// Whether a value of shape `value` broadcasts to exactly `target` (the indexing result).
bool broadcasts_to(IntArrayRef value, IntArrayRef target) {
  if (value.size() > target.size()) return false;
  const size_t lead = target.size() - value.size();
  for (size_t i = 0; i < value.size(); ++i)
    if (value[i] != 1 && value[i] != target[lead + i]) return false;
  return true;
}

// PyTorch's "shape mismatch" error of index_put_ (checked here, so that it is this message and
// not broadcast_shapes' that the user sees).
void check_value_shape(IntArrayRef value, IntArrayRef target, const char* op) {
  XGRAD_CHECK(broadcasts_to(value, target), ShapeError,
              "{}: shape mismatch: value tensor of shape {} cannot be broadcast to indexing result of shape {}", op,
              xgrad::to_string(value), xgrad::to_string(target));
}

// Scatters `value` (broadcast to positions' shape) into `r` at `positions`; with `accumulate`,
// adds it instead, one position after the other, so repeated positions add every value.
void put_at_positions(const Tensor& r, const Tensor& positions, const Tensor& value, const char* op,
                      bool accumulate = false) {
  const auto shape = positions.sizes();
  check_value_shape(value.sizes(), shape, op);
  Tensor v;
  try {
    NoGradGuard no_grad;  // the values are read, not differentiated through (see IndexPutOp)
    v = value.to(r.dtype()).expand(shape).contiguous();
  } catch (const ValueError& e) {  // a NaN or out-of-range float written into an integer tensor
    XGRAD_THROW(ValueError, "{}: {}", op, e.what());
  }
  if (v.impl()->storage == r.impl()->storage) v = v.clone();
  const int64_t* pos = positions.data_ptr<int64_t>();
  if (accumulate) {
    detail::dispatch_all(r.dtype(), op, [&]<typename T>() {
      T* dst = static_cast<T*>(r.impl()->data());
      const T* src = static_cast<const T*>(v.impl()->data());
      for (int64_t k = 0; k < positions.numel(); ++k) {
        T& d = dst[physical_offset(r.sizes(), r.strides(), pos[k])];
        if constexpr (std::is_same_v<T, bool>)
          d = d || src[k];  // bool addition saturates, as PyTorch's
        else
          d = static_cast<T>(d + src[k]);
      }
    });
    return;
  }
  const size_t es = r.element_size();
  auto* dst = static_cast<char*>(r.impl()->data());
  const auto* src = static_cast<const char*>(v.impl()->data());
  for (int64_t k = 0; k < positions.numel(); ++k) {
    const int64_t off = physical_offset(r.sizes(), r.strides(), pos[k]);
    std::memcpy(dst + static_cast<size_t>(off) * es, src + static_cast<size_t>(k) * es, es);
  }
}

// NumPy's and PyTorch's set-item rule: a value's leading dimensions of size 1 are dropped before
// it is broadcast to the indexed part, so a [1, 1, 3] value fills a row of 3.
Tensor strip_leading_ones(const Tensor& value) {
  NoGradGuard no_grad;
  Tensor v = value;
  while (v.dim() > 0 && v.size(0) == 1) v = v.squeeze(0);
  return v;
}

// ATen's index list (one optional tensor per dimension, an empty one keeping the dimension):
// the flat positions in `self` of the elements it selects, shaped like the result.
Tensor aten_positions(const Tensor& self, ArrayRef<std::optional<Tensor>> indices, const char* op) {
  auto describe_list = [&] {
    std::string out = "[";
    for (size_t i = 0; i < indices.size(); ++i) {
      const auto& t = indices[i];
      out += i ? ", " : "";
      out += t && t->defined() ? fmt::format("Tensor(sizes={}, dtype={})", xgrad::to_string(t->sizes()),
                                             dtype_name(t->dtype()))
                               : std::string("None");
    }
    return out + "]";
  };
  std::vector<Advanced> adv;
  int64_t d = 0;
  for (size_t i = 0; i < indices.size(); ++i) {
    if (!indices[i] || !indices[i]->defined()) {
      ++d;
      continue;
    }
    Tensor t = normalize_index_dtype(*indices[i], op);
    check_index_dtype(t, i, describe_list(), op);
    XGRAD_CHECK(t.dim() > 0 || t.dtype() != kBool, IndexError,
                "{}: a 0-dim mask is not an index of this form (indices {}); use Tensor::index / index_put_ with it",
                op, describe_list());
    adv.push_back({d, t, i});
    d += t.dtype() == kBool ? t.dim() : 1;
  }
  XGRAD_CHECK(d <= self.dim(), IndexError, "{}: too many indices for tensor of dimension {} (got {}; indices {})", op,
              self.dim(), d, describe_list());
  XGRAD_CHECK(!adv.empty(), IndexError,
              "{}: expected at least one defined index tensor (indices {}); use Tensor::index for basic indexing", op,
              describe_list());
  return advanced_positions(self.sizes(), adv, op);
}

// PyTorch's index_put requires the values in self's dtype (set-item, Tensor::index_put_ with
// TensorIndex, converts instead).
void check_values_dtype(const Tensor& self, const Tensor& values, const char* op) {
  XGRAD_CHECK(self.dtype() == values.dtype(), TypeError,
              "{}: Index put requires the source and destination dtypes match, got {} for the destination and {} for "
              "the source",
              op, dtype_name(self.dtype()), dtype_name(values.dtype()));
}

// out = self with values written (or added) at positions. The gradient of self is the incoming
// one with the written positions zeroed (kept when accumulating); that of values is the incoming
// gradient at the positions, summed over the broadcast dimensions.
struct IndexPutOp : autograd::Function<IndexPutOp> {
  static std::string_view name() { return "IndexPutBackward0"; }
  struct State {
    std::vector<int64_t> values_sizes;
    bool accumulate;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& self, const Tensor& values, const Tensor& positions,
                        bool accumulate) {
    ctx->save_for_backward({positions});
    ctx->emplace_state<State>(State{values.sizes().vec(), accumulate});
    Tensor out = self.contiguous().clone();
    put_at_positions(out, positions, values, "index_put", accumulate);
    return out;
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list g) {
    const Tensor positions = ctx->get_saved_variables()[0];
    const auto& st = ctx->state<State>();
    const Tensor flat_pos = positions.reshape({-1});
    Tensor grad_self = g[0];
    if (!st.accumulate) {
      // A constant mask: ones, zero where a value was written.
      Tensor keep = ones(g[0].sizes(), g[0].dtype());
      put_at_positions(keep, positions, zeros({}, g[0].dtype()), "index_put");
      grad_self = g[0] * keep;
    }
    Tensor at_positions = g[0].reshape({-1}).index_select(0, flat_pos).view(positions.sizes());
    Tensor grad_values = sum_to(at_positions, st.values_sizes);
    return {grad_self, grad_values, Tensor()};
  }
};

}  // namespace

Tensor Tensor::index(ArrayRef<TensorIndex> indices) const {
  detail::check_defined(*this, "index");
  // LibTorch rejects an empty list (Python's x[()] has no C++ spelling); alias() is the no-op view.
  XGRAD_CHECK(!indices.empty(), IndexError,
              "index: Passing an empty index list to Tensor::index() is not valid syntax; use the tensor itself "
              "(or alias() for a view of it)");
  std::vector<Advanced> adv;
  Tensor r = apply_basic(*this, indices, adv, "index");
  if (adv.empty()) return r.is_same(*this) ? detail::alias(*this) : r;
  Tensor positions = advanced_positions(r.sizes(), adv, "index");
  return IndexOp::apply(r, positions);
}

Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const {
  return index(ArrayRef<TensorIndex>(indices));
}

Tensor& Tensor::index_put_(ArrayRef<TensorIndex> indices, const Tensor& value_in) const {
  XGRAD_CHECK(!indices.empty(), IndexError,
              "index_put_: Passing an empty index list to Tensor::index_put_() is not valid syntax; use copy_() or "
              "fill_() to write the whole tensor");
  detail::check_inplace(*this, "index_put_");
  detail::check_defined(value_in, "index_put_");
  const Tensor value = strip_leading_ones(value_in);
  XGRAD_CHECK(!(value_in.requires_grad() && GradMode::is_enabled()), AutogradError,
              "index_put_: writing a value that requires grad is not differentiable; detach() it or use NoGradGuard");
  std::vector<Advanced> adv;
  Tensor r;
  {
    // The views only locate the elements; they need no graph.
    NoGradGuard no_grad;
    r = apply_basic(*this, indices, adv, "index_put_");
  }
  if (adv.empty()) {
    check_value_shape(value.sizes(), r.sizes(), "index_put_");
    NoGradGuard no_grad;
    try {
      r.copy_(value);
    } catch (const ValueError& e) {
      XGRAD_THROW(ValueError, "index_put_: {}", e.what());
    }
    return const_cast<Tensor&>(*this);
  }
  Tensor positions = advanced_positions(r.sizes(), adv, "index_put_");
  put_at_positions(r, positions, value, "index_put_");
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
}

Tensor& Tensor::index_put_(ArrayRef<TensorIndex> indices, const Scalar& value) const {
  XGRAD_CHECK(!indices.empty(), IndexError,
              "index_put_: Passing an empty index list to Tensor::index_put_() is not valid syntax; use fill_() to "
              "write the whole tensor");
  detail::check_inplace(*this, "index_put_");
  // A 0-D tensor of self's dtype: it broadcasts to whatever the indices select.
  Tensor v = make_tensor({}, dtype(), "index_put_");
  // Checked: NaN, an infinity or 1e30 has no int64 value (a plain cast is undefined behaviour).
  detail::dispatch_all(dtype(), "index_put_", [&]<typename T>() {
    if constexpr (detail::is_int_v<T>) {
      // An integral Scalar is written exactly (not through double).
      *v.data_ptr<T>() = value.isFloatingPoint() ? detail::convert_scalar<T>(value.toDouble(), "index_put_")
                                                 : detail::convert_scalar<T>(value.toLong(), "index_put_");
    } else {
      *v.data_ptr<T>() = detail::convert_scalar<T>(value.toDouble(), "index_put_");
    }
  });
  return index_put_(indices, v);
}

Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& value) const {
  return index_put_(ArrayRef<TensorIndex>(indices), value);
}

Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Scalar& value) const {
  return index_put_(ArrayRef<TensorIndex>(indices), value);
}

// ---- ATen forms: one optional tensor per dimension ---------------------------------------------

Tensor index(const Tensor& self, ArrayRef<std::optional<Tensor>> indices) {
  detail::check_defined(self, "index");
  Tensor positions = aten_positions(self, indices, "index");
  return IndexOp::apply(self, positions);
}

Tensor& index_put_(const Tensor& self, ArrayRef<std::optional<Tensor>> indices, const Tensor& values,
                   bool accumulate) {
  detail::check_defined(self, "index_put_");
  detail::check_defined(values, "index_put_");
  detail::check_inplace(self, "index_put_");
  XGRAD_CHECK(!(values.requires_grad() && GradMode::is_enabled()), AutogradError,
              "index_put_: writing values that require grad is not differentiable in place; use xgrad::index_put "
              "(out of place) or detach() them");
  check_values_dtype(self, values, "index_put_");
  Tensor positions = aten_positions(self, indices, "index_put_");
  put_at_positions(self, positions, values, "index_put_", accumulate);
  detail::bump_version(self);
  return const_cast<Tensor&>(self);
}

Tensor index_put(const Tensor& self, ArrayRef<std::optional<Tensor>> indices, const Tensor& values, bool accumulate) {
  detail::check_defined(self, "index_put");
  detail::check_defined(values, "index_put");
  check_values_dtype(self, values, "index_put");
  Tensor positions = aten_positions(self, indices, "index_put");
  check_value_shape(values.sizes(), positions.sizes(), "index_put");
  return IndexPutOp::apply(self, values, positions, accumulate);
}

Tensor& Tensor::index_put_(ArrayRef<std::optional<Tensor>> indices, const Tensor& values, bool accumulate) const {
  return xgrad::index_put_(*this, indices, values, accumulate);
}

Tensor Tensor::index_put(ArrayRef<std::optional<Tensor>> indices, const Tensor& values, bool accumulate) const {
  return xgrad::index_put(*this, indices, values, accumulate);
}

}  // namespace xgrad
