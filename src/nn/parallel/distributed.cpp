// DistributedDataParallel's reducer. It sees each backward pass through two autograd hooks:
// a post-accumulate-grad hook on every parameter (the gradient of that parameter is final for
// this pass) and a callback queued for the end of the pass. Fast mode all-reduces buckets of
// gradients as they fill; reproducible mode stores each micro-batch's gradient and sums them in
// a fixed tree, so the result cannot depend on how micro-batches were spread over ranks.

#include <xgrad/autograd/engine.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/factory.hpp>
#include <xgrad/nn/parallel/distributed.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <functional>
#include <optional>

namespace xgrad::nn::parallel::detail {

namespace dist = xgrad::distributed;

namespace {

constexpr const char* kOp = "DistributedDataParallel";

// Copies `src` (contiguous, `n` elements of T) into `dst`, turning -0 into +0: a gradient's
// zero sign can depend on whether it was accumulated onto a zeroed .grad or taken as is, and
// reproducible mode must not let that leak into the bits.
template <typename T>
void copy_canonical(T* dst, const T* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i] + T(0);
}

template <typename T>
void add_into(T* out, const T* a, const T* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

template <typename T>
void divide_into(T* out, const T* a, T d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] / d;
}

void* raw(const Tensor& t) { return t.unsafeGetTensorImpl()->data(); }

}  // namespace

struct Reducer::State {
  struct Param {
    std::string name;
    Tensor tensor;
    int64_t offset = 0;  // in the flat gradient vector
    int64_t numel = 0;
    size_t bucket = 0;
    bool ready = false;
    unsigned hook = 0;
  };
  struct Bucket {
    std::vector<size_t> params;
    int64_t offset = 0, numel = 0;
    size_t pending = 0;
    bool launched = false;
    Tensor flat;
    std::optional<dist::Work> work;
  };

  std::shared_ptr<Module> module;
  std::vector<Param> params;
  std::vector<Bucket> buckets;
  ScalarType dtype = kFloat32;
  int64_t total = 0;
  int64_t rank = 0, world = 1, micro_batches = 1, local_count = 1;
  bool reproducible = true, find_unused = false, broadcast_buffers = true;
  bool sync = true;

  bool callback_queued = false;
  int64_t local_done = 0;  // backward passes finished in the current global batch
  size_t next_launch = 0;
  Tensor slots;  // reproducible: [local_count, total], one gradient per local micro-batch

  template <typename F>
  void visit_dtype(F&& f) const {
    if (dtype == kFloat32)
      f(float{});
    else
      f(double{});
  }

  bool syncing_pass() const { return sync && (reproducible || local_done + 1 == local_count); }

  void on_grad(size_t index, const std::weak_ptr<State>& self) {
    if (!sync) return;
    if (!callback_queued) {
      autograd::queue_callback([w = self] {
        if (auto s = w.lock()) s->finish_pass();
      });
      callback_queued = true;
    }
    if (!syncing_pass()) return;
    Param& p = params[index];
    if (p.ready) return;
    p.ready = true;
    if (reproducible) return;
    Bucket& b = buckets[p.bucket];
    if (--b.pending == 0) launch_ready_buckets();
    // MPI moves a non-blocking collective forward only inside MPI calls: poke it.
    for (auto& bucket : buckets)
      if (bucket.launched && bucket.work) bucket.work->is_completed();
  }

  // Buckets start in index order on every rank: collectives must be issued in the same order.
  void launch_ready_buckets() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      Bucket& b = buckets[next_launch++];
      NoGradGuard no_grad;
      visit_dtype([&](auto zero) {
        using T = decltype(zero);
        T* flat = static_cast<T*>(raw(b.flat));
        for (size_t i : b.params) {
          const Param& p = params[i];
          T* dst = flat + (p.offset - b.offset);
          const Tensor& g = p.tensor.grad();
          if (g.defined()) {
            Tensor c = g.contiguous();
            copy_canonical(dst, static_cast<const T*>(raw(c)), p.numel);
          } else {
            std::memset(static_cast<void*>(dst), 0, static_cast<size_t>(p.numel) * sizeof(T));
          }
        }
      });
      b.work.emplace(dist::all_reduce_async(b.flat, dist::ReduceOp::SUM));
      b.launched = true;
    }
  }

  void check_unused() {
    std::vector<std::string> missing;
    for (auto& p : params)
      if (!p.ready) missing.push_back(p.name);
    if (missing.empty()) return;
    if (!find_unused) {
      reset_pass();
      XGRAD_THROW(DistributedError,
                  "{}: rank {}: {} parameter(s) received no gradient in this backward pass: {}. Every parameter "
                  "must take part in the loss on every rank, or construct DistributedDataParallel with "
                  "DistributedDataParallelOptions().find_unused_parameters(true)",
                  kOp, rank, missing.size(), fmt::format("{}", fmt::join(missing, ", ")));
    }
    for (auto& p : params)
      if (!p.ready) {
        p.ready = true;
        if (!reproducible) --buckets[p.bucket].pending;
      }
  }

  void reset_pass() {
    callback_queued = false;
    next_launch = 0;
    for (auto& p : params) p.ready = false;
    for (auto& b : buckets) {
      b.pending = b.params.size();
      b.launched = false;
      b.work.reset();
    }
  }

  void finish_pass() {
    if (!syncing_pass()) {
      ++local_done;
      callback_queued = false;
      return;
    }
    check_unused();
    NoGradGuard no_grad;
    if (!reproducible) {
      launch_ready_buckets();
      for (auto& b : buckets) b.work->wait();
      visit_dtype([&](auto zero) {
        using T = decltype(zero);
        for (auto& p : params) {
          const Bucket& b = buckets[p.bucket];
          const T* src = static_cast<const T*>(raw(b.flat)) + (p.offset - b.offset);
          Tensor& g = p.tensor.mutable_grad();
          if (!g.defined() || !g.is_contiguous()) g = empty(p.tensor.sizes(), TensorOptions().dtype(dtype));
          divide_into(static_cast<T*>(raw(g)), src, static_cast<T>(micro_batches), p.numel);
        }
      });
      local_done = 0;
      reset_pass();
      return;
    }
    // Reproducible: keep this micro-batch's gradient apart, clear .grad for the next one.
    visit_dtype([&](auto zero) {
      using T = decltype(zero);
      T* slot = static_cast<T*>(raw(slots)) + local_done * total;
      for (auto& p : params) {
        Tensor& g = p.tensor.mutable_grad();
        if (g.defined()) {
          Tensor c = g.contiguous();
          copy_canonical(slot + p.offset, static_cast<const T*>(raw(c)), p.numel);
        } else {
          std::memset(static_cast<void*>(slot + p.offset), 0, static_cast<size_t>(p.numel) * sizeof(T));
        }
        g = Tensor();
      }
    });
    ++local_done;
    reset_pass();
    if (local_done == local_count) {
      local_done = 0;
      reduce_reproducible();
    }
  }

  // Whether [lo, hi) is a node of the fixed tree over [0, micro_batches): nodes split at
  // lo + (hi - lo) / 2.
  bool is_tree_node(int64_t lo, int64_t hi) const {
    int64_t a = 0, b = micro_batches;
    while (true) {
      if (a == lo && b == hi) return true;
      if (b - a <= 1) return false;
      const int64_t mid = a + (b - a) / 2;
      if (hi <= mid)
        b = mid;
      else if (lo >= mid)
        a = mid;
      else
        return false;
    }
  }

  // Sum over the tree node [lo, hi); `unit(lo, hi)` returns a precomputed sum for a node that
  // is a unit (a micro-batch, or a whole rank's share), else nullptr.
  template <typename T>
  std::vector<T> tree_sum(int64_t lo, int64_t hi, const std::function<const T*(int64_t, int64_t)>& unit) const {
    if (const T* u = unit(lo, hi)) return std::vector<T>(u, u + total);
    XGRAD_CHECK(hi - lo > 1, DistributedError, "{}: internal error: no unit for micro-batch {}", kOp, lo);
    const int64_t mid = lo + (hi - lo) / 2;
    std::vector<T> a = tree_sum<T>(lo, mid, unit);
    std::vector<T> b = tree_sum<T>(mid, hi, unit);
    add_into(a.data(), a.data(), b.data(), total);
    return a;
  }

  void reduce_reproducible() {
    // When every rank's share is a node of the tree, each rank sums its share locally and only
    // the N partial sums travel; otherwise all M micro-batch gradients do. Same additions either
    // way.
    bool shares_are_nodes = true;
    for (int64_t r = 0; r < world; ++r) shares_are_nodes = shares_are_nodes && is_tree_node(r * local_count, (r + 1) * local_count);
    visit_dtype([&](auto zero) {
      using T = decltype(zero);
      const T* local = static_cast<const T*>(raw(slots));
      const int64_t first = rank * local_count;
      auto local_unit = [&](int64_t lo, int64_t hi) -> const T* {
        return hi - lo == 1 ? local + (lo - first) * total : nullptr;
      };
      Tensor send;
      int64_t per_rank = 0;
      std::vector<T> partial;
      if (shares_are_nodes) {
        partial = tree_sum<T>(first, first + local_count, local_unit);
        send = from_blob(partial.data(), {total}, TensorOptions().dtype(dtype));
        per_rank = 1;
      } else {
        send = slots.reshape({local_count * total});
        per_rank = local_count;
      }
      Tensor gathered = send;
      if (world > 1) {
        gathered = empty({world * per_rank * total}, TensorOptions().dtype(dtype));
        dist::all_gather_into_tensor(gathered, send);
      }
      const T* all = static_cast<const T*>(raw(gathered));
      auto global_unit = [&](int64_t lo, int64_t hi) -> const T* {
        if (shares_are_nodes) {
          if (hi - lo == local_count && lo % local_count == 0) return all + (lo / local_count) * total;
          return nullptr;
        }
        return hi - lo == 1 ? all + lo * total : nullptr;
      };
      std::vector<T> sum = tree_sum<T>(0, micro_batches, global_unit);
      for (auto& p : params) {
        Tensor g = empty(p.tensor.sizes(), TensorOptions().dtype(dtype));
        divide_into(static_cast<T*>(raw(g)), sum.data() + p.offset, static_cast<T>(micro_batches), p.numel);
        p.tensor.mutable_grad() = g;
      }
    });
  }

  // Rank 0's tensors to every rank, one collective per dtype.
  void broadcast_from_zero(const std::vector<Tensor>& tensors) {
    if (world == 1 || tensors.empty()) return;
    NoGradGuard no_grad;
    for (ScalarType t : {kFloat32, kFloat64, kInt64}) {
      int64_t n = 0;
      for (const auto& x : tensors)
        if (x.dtype() == t) n += x.numel();
      if (n == 0) continue;
      Tensor flat = empty({n}, TensorOptions().dtype(t));
      int64_t off = 0;
      for (const auto& x : tensors)
        if (x.dtype() == t) {
          flat.narrow(0, off, x.numel()).copy_(x.reshape({x.numel()}));
          off += x.numel();
        }
      dist::broadcast(flat, 0);
      off = 0;
      for (const auto& x : tensors)
        if (x.dtype() == t) {
          Tensor dst = x;  // a handle sharing the module's storage
          dst.copy_(flat.narrow(0, off, x.numel()).reshape(x.sizes()));
          off += x.numel();
        }
    }
  }
};

Reducer::Reducer(std::shared_ptr<Module> module, const DistributedDataParallelOptions& options)
    : state_(std::make_shared<State>()), options_(options) {
  XGRAD_CHECK(module != nullptr, ValueError, "{}: the module is empty", kOp);
  XGRAD_CHECK(dist::is_initialized(), DistributedError,
              "{}: the default process group has not been initialized; call "
              "xgrad::distributed::init_process_group(\"mpi\") first",
              kOp);
  XGRAD_CHECK(options.bucket_cap_mb() > 0, ValueError, "{}: bucket_cap_mb must be positive, got {}", kOp,
              options.bucket_cap_mb());
  auto& s = *state_;
  s.module = std::move(module);
  s.rank = dist::get_rank();
  s.world = dist::get_world_size();
  s.reproducible = options.reproducible();
  s.find_unused = options.find_unused_parameters();
  s.broadcast_buffers = options.broadcast_buffers();
  const int64_t m = options.micro_batches() == 0 ? s.world : options.micro_batches();
  XGRAD_CHECK(m > 0 && m % s.world == 0, ValueError,
              "{}: micro_batches ({}) must be a positive multiple of the world size ({}), so that every rank "
              "computes the same number of micro-batches",
              kOp, options.micro_batches(), s.world);
  s.micro_batches = m;
  s.local_count = m / s.world;
  micro_batches_ = m;

  auto named = s.module->named_parameters();
  bool first = true;
  for (const auto& item : named) {
    const Tensor& t = item.value();
    if (!t.requires_grad()) continue;
    XGRAD_CHECK(is_floating_point(t.dtype()), TypeError, "{}: parameter {} has dtype {}", kOp, item.key(),
                dtype_name(t.dtype()));
    if (first) s.dtype = t.dtype();
    XGRAD_CHECK(t.dtype() == s.dtype, TypeError,
                "{}: parameters must share one dtype; {} is {} but the first is {} (convert the model with ->to())",
                kOp, item.key(), dtype_name(t.dtype()), dtype_name(s.dtype));
    first = false;
    State::Param p;
    p.name = item.key();
    p.tensor = t;
    p.numel = t.numel();
    p.offset = s.total;
    s.total += p.numel;
    s.params.push_back(std::move(p));
  }
  XGRAD_CHECK(!s.params.empty(), ValueError, "{}: the module has no parameter that requires grad", kOp);

  // Buckets in reverse registration order: backward produces the last layers' gradients first.
  const int64_t cap = std::max<int64_t>(
      1, static_cast<int64_t>(options.bucket_cap_mb() * 1024.0 * 1024.0) / static_cast<int64_t>(element_size(s.dtype)));
  for (size_t k = s.params.size(); k-- > 0;) {
    if (s.buckets.empty() || s.buckets.back().numel + s.params[k].numel > cap) {
      if (s.buckets.empty() || s.buckets.back().numel > 0) s.buckets.emplace_back();
    }
    auto& b = s.buckets.back();
    b.params.push_back(k);
    b.numel += s.params[k].numel;
    s.params[k].bucket = s.buckets.size() - 1;
  }
  for (auto& b : s.buckets) {
    int64_t lo = s.total;
    for (size_t i : b.params) lo = std::min(lo, s.params[i].offset);
    b.offset = lo;  // a bucket's parameters are contiguous in the flat order (reverse of a range)
    b.pending = b.params.size();
    if (!s.reproducible) b.flat = empty({b.numel}, TensorOptions().dtype(s.dtype));
  }
  if (s.reproducible) s.slots = empty({s.local_count, s.total}, TensorOptions().dtype(s.dtype));

  // Everyone starts from rank 0's model.
  std::vector<Tensor> state;
  for (auto& p : s.params) state.push_back(p.tensor);
  for (auto& b : s.module->buffers()) state.push_back(b);
  s.broadcast_from_zero(state);

  std::weak_ptr<State> weak = state_;
  for (size_t i = 0; i < s.params.size(); ++i)
    s.params[i].hook = s.params[i].tensor.register_post_accumulate_grad_hook([weak, i](const Tensor&) {
      if (auto st = weak.lock()) st->on_grad(i, weak);
    });
}

Reducer::~Reducer() {
  for (auto& p : state_->params) p.tensor.remove_post_accumulate_grad_hook(p.hook);
}

void Reducer::before_forward(bool training) {
  auto& s = *state_;
  if (training && s.broadcast_buffers) s.broadcast_from_zero(s.module->buffers());
}

std::vector<int64_t> Reducer::local_micro_batches() const {
  std::vector<int64_t> out;
  for (int64_t k = 0; k < state_->local_count; ++k) out.push_back(state_->rank * state_->local_count + k);
  return out;
}

void Reducer::set_sync(bool on) {
  XGRAD_CHECK(on || !state_->reproducible, DistributedError,
              "{}: no_sync() is for fast mode (reproducible(false)); in reproducible mode raise micro_batches to "
              "accumulate more gradients per step",
              kOp);
  sync_ = on;
  state_->sync = on;
}

std::vector<int64_t> Reducer::bucket_sizes() const {
  std::vector<int64_t> out;
  for (const auto& b : state_->buckets) out.push_back(b.numel * static_cast<int64_t>(element_size(state_->dtype)));
  return out;
}

}  // namespace xgrad::nn::parallel::detail
