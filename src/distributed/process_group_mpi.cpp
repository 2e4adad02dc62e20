// The default process group on Open MPI. Every collective is a non-blocking MPI call that we
// poll until it completes or the timeout passes, because MPI's blocking calls never return
// when a peer has died; and every collective is preceded by a small all-gather of a signature
// (operation, dtype, shape, sequence number), because MPI gives undefined behaviour, often a
// hang, when ranks disagree about what they are reducing.

#include <xgrad/distributed.hpp>
#include <xgrad/factory.hpp>

// Open MPI's C++ bindings (deprecated, unused here) warn under -Wextra.
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include <fmt/format.h>

#include <sched.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <thread>

namespace xgrad::distributed {

namespace {

enum class Kind : int64_t { all_reduce = 1, broadcast, all_gather, barrier };

const char* kind_name(int64_t k) {
  switch (static_cast<Kind>(k)) {
    case Kind::all_reduce: return "all_reduce";
    case Kind::broadcast: return "broadcast";
    case Kind::all_gather: return "all_gather";
    case Kind::barrier: return "barrier";
  }
  return "?";
}

const char* op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::SUM: return "SUM";
    case ReduceOp::AVG: return "AVG";
    case ReduceOp::PRODUCT: return "PRODUCT";
    case ReduceOp::MIN: return "MIN";
    case ReduceOp::MAX: return "MAX";
  }
  return "?";
}

// What one rank is about to do; all ranks must agree on every field.
constexpr int kSigLen = 16;
constexpr int kSigMaxDims = 8;
using Signature = std::array<int64_t, kSigLen>;

struct Group {
  std::mutex mutex;  // MPI is initialized SERIALIZED: one MPI call at a time
  bool initialized = false;
  bool owns_mpi = false;  // we called MPI_Init, so we call MPI_Finalize
  bool broken = false;
  std::string broken_reason;
  bool exit_hook = false;
  int rank = 0;
  int size = 1;
  int64_t sequence = 0;
  std::chrono::milliseconds timeout = default_pg_timeout;
  // States of collectives that failed while MPI may still write into their buffers: kept alive
  // for the life of the process.
  std::vector<std::shared_ptr<Work::State>> graveyard;
};

Group& group() {
  static Group g;
  return g;
}

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  auto& g = group();
  g.broken = true;
  g.broken_reason = fmt::format("{} failed: {}", what, std::string(text, static_cast<size_t>(len)));
  XGRAD_THROW(DistributedError, "{}: MPI error on rank {}: {}", what, g.rank, std::string(text, static_cast<size_t>(len)));
}

Group& ready_group(const char* op) {
  auto& g = group();
  XGRAD_CHECK(g.initialized, DistributedError,
              "{}: the default process group has not been initialized; call "
              "xgrad::distributed::init_process_group(\"mpi\") first (and start the program with mpirun)",
              op);
  XGRAD_CHECK(!g.broken, DistributedError,
              "{}: the process group is unusable after an earlier failure ({}); the process should exit", op,
              g.broken_reason);
  return g;
}

void* raw(const Tensor& t) { return t.unsafeGetTensorImpl()->data(); }

MPI_Datatype mpi_type(ScalarType t) {
  switch (t) {
    case kFloat32: return MPI_FLOAT;
    case kFloat64: return MPI_DOUBLE;
    case kInt64: return MPI_INT64_T;
    default: return MPI_DATATYPE_NULL;
  }
}

void check_tensor(const Tensor& t, const char* op) {
  XGRAD_CHECK(t.defined(), ValueError, "{}: the tensor is undefined", op);
  XGRAD_CHECK(mpi_type(t.dtype()) != MPI_DATATYPE_NULL, TypeError,
              "{}: dtype {} cannot be communicated; use float32, float64 or int64", op, dtype_name(t.dtype()));
  XGRAD_CHECK(t.is_contiguous(), ShapeError,
              "{}: the tensor (sizes {}, strides {}) is not contiguous; collectives write in place, so pass a "
              "contiguous tensor (t = t.contiguous()) and use it afterwards",
              op, to_string(t.sizes()), to_string(t.strides()));
  XGRAD_CHECK(t.numel() <= std::numeric_limits<int>::max(), ValueError,
              "{}: {} elements exceed MPI's count limit of {}; split the tensor", op, t.numel(),
              std::numeric_limits<int>::max());
  XGRAD_CHECK(t.dim() <= kSigMaxDims, ShapeError, "{}: tensors of more than {} dimensions are not supported", op,
              kSigMaxDims);
}

Signature make_signature(Kind kind, int64_t detail, const Tensor* t, int64_t sequence) {
  Signature s{};
  s[0] = static_cast<int64_t>(kind);
  s[1] = detail;
  s[2] = sequence;
  if (t) {
    s[3] = static_cast<int64_t>(t->dtype());
    s[4] = t->numel();
    s[5] = t->dim();
    for (int64_t d = 0; d < t->dim(); ++d) s[static_cast<size_t>(6 + d)] = t->size(d);
  }
  return s;
}

std::string describe(const Signature& s) {
  std::string out = kind_name(s[0]);
  const auto kind = static_cast<Kind>(s[0]);
  if (kind == Kind::all_reduce) out += fmt::format("({})", op_name(static_cast<ReduceOp>(s[1])));
  if (kind == Kind::broadcast) out += fmt::format("(src={})", s[1]);
  if (kind != Kind::barrier) {
    std::vector<int64_t> sizes(s.begin() + 6, s.begin() + 6 + std::clamp<int64_t>(s[5], 0, kSigMaxDims));
    out += fmt::format(" of {} {}", dtype_name(static_cast<ScalarType>(s[3])), to_string(sizes));
  }
  return out + fmt::format(" (collective #{})", s[2]);
}

// Waiting politely: yield the core first (ranks often share cores with other work), then sleep
// in short steps.
void pause(int& spins) {
  if (++spins < 2000)
    sched_yield();
  else
    std::this_thread::sleep_for(std::chrono::microseconds(50));
}

[[noreturn]] void timed_out(const char* op, const std::string& what) {
  auto& g = group();
  g.broken = true;
  g.broken_reason = fmt::format("{} timed out", op);
  XGRAD_THROW(DistributedError,
              "{}: rank {} of {} waited {} ms for the other ranks to join {} and gave up: a peer process has "
              "died, is stuck, or runs different collectives (every rank must call the same collectives in "
              "the same order). Raise the limit with ProcessGroupOptions().timeout(...) if a rank is just slow",
              op, g.rank, g.size, g.timeout.count(), what);
}

// Throws on every rank unless all ranks' signatures (`all`, one after another) equal `mine`.
void check_agreement(const Signature& mine, const std::vector<int64_t>& all, const char* op) {
  auto& g = group();
  bool same = true;
  for (int r = 0; r < g.size; ++r)
    same = same && std::equal(mine.begin(), mine.end(), all.begin() + static_cast<ptrdiff_t>(r) * kSigLen);
  if (same) return;
  std::string lines;
  for (int r = 0; r < g.size; ++r) {
    Signature s;
    std::copy_n(all.begin() + static_cast<ptrdiff_t>(r) * kSigLen, kSigLen, s.begin());
    lines += fmt::format("\n  rank {}: {}", r, describe(s));
  }
  XGRAD_THROW(DistributedError,
              "{}: the ranks called different collectives or passed tensors of different dtype or shape; every "
              "rank must make the same calls with the same shapes:{}",
              op, lines);
}

// Polls `request` until done. Yields the core while waiting (ranks often share cores with other
// work), then sleeps in short steps; throws at the deadline.
void wait_request(MPI_Request& request, std::chrono::steady_clock::time_point deadline, const char* op,
                  const std::string& what) {
  auto& g = group();
  int spins = 0;
  for (;;) {
    int done = 0;
    {
      std::lock_guard lock(g.mutex);
      check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), op);
    }
    if (done) return;
    if (std::chrono::steady_clock::now() >= deadline) timed_out(op, what);
    pause(spins);
  }
}

// Exchanges signatures (blocking, with the timeout) and throws on every rank if they differ.
void agree(const Signature& mine, const char* op) {
  auto& g = group();
  std::vector<int64_t> all(static_cast<size_t>(kSigLen) * static_cast<size_t>(g.size));
  MPI_Request req;
  {
    std::lock_guard lock(g.mutex);
    check_mpi(MPI_Iallgather(mine.data(), kSigLen, MPI_INT64_T, all.data(), kSigLen, MPI_INT64_T, MPI_COMM_WORLD,
                             &req),
              op);
  }
  wait_request(req, std::chrono::steady_clock::now() + g.timeout, op, describe(mine));
  check_agreement(mine, all, op);
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::SUM:
    case ReduceOp::AVG: return MPI_SUM;
    case ReduceOp::PRODUCT: return MPI_PROD;
    case ReduceOp::MIN: return MPI_MIN;
    case ReduceOp::MAX: return MPI_MAX;
  }
  return MPI_SUM;
}

void at_exit() {
  auto& g = group();
  if (g.initialized && g.owns_mpi && !g.broken) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
  g.initialized = false;
}

}  // namespace

// One all_reduce in flight. Its signature exchange and its reduction are both issued at once:
// non-blocking collectives must be started in the same order on every rank, and starting the
// reduction later (when the signatures arrive) would interleave differently with other
// collectives started meanwhile. A signature mismatch is still reported with every rank's call,
// but the reduction already posted with disagreeing sizes leaves MPI in an undefined state, so
// the group is then marked unusable. (Blocking collectives check first and stay usable.)
struct Work::State {
  Tensor tensor;
  ReduceOp op = ReduceOp::SUM;
  Signature signature{};
  std::vector<int64_t> all_signatures;
  MPI_Request sig_request = MPI_REQUEST_NULL;
  MPI_Request data_request = MPI_REQUEST_NULL;
  bool sig_done = false;
  int phase = 0;  // 0: in flight, 2: done, 3: failed
  std::chrono::steady_clock::time_point deadline;
};

namespace {

// Advances `s` without blocking; returns whether it has finished. Throws on failure.
bool advance(Work::State& s) {
  auto& g = group();
  const char* op = "all_reduce";
  if (s.phase == 2) return true;
  XGRAD_CHECK(s.phase != 3, DistributedError, "all_reduce: this collective failed earlier");
  if (!s.sig_done) {
    int done = 0;
    {
      std::lock_guard lock(g.mutex);
      check_mpi(MPI_Test(&s.sig_request, &done, MPI_STATUS_IGNORE), op);
    }
    if (done) {
      s.sig_done = true;
      try {
        check_agreement(s.signature, s.all_signatures, op);
      } catch (const DistributedError&) {
        // The reduction was posted with disagreeing sizes: MPI's state is undefined now.
        s.phase = 3;
        g.broken = true;
        g.broken_reason = "ranks disagreed about an asynchronous all_reduce";
        throw;
      }
    }
  }
  int done = 0;
  if (s.sig_done) {
    std::lock_guard lock(g.mutex);
    check_mpi(MPI_Test(&s.data_request, &done, MPI_STATUS_IGNORE), op);
  }
  if (!done) {
    if (std::chrono::steady_clock::now() >= s.deadline) {
      s.phase = 3;
      timed_out(op, describe(s.signature));
    }
    return false;
  }
  if (s.op == ReduceOp::AVG) s.tensor.detach().div_(static_cast<double>(g.size));
  s.phase = 2;
  return true;
}

}  // namespace

Work::Work(std::shared_ptr<State> state) : state_(std::move(state)) {}
Work::Work(Work&&) noexcept = default;
Work& Work::operator=(Work&&) noexcept = default;

Work::~Work() {
  if (!state_ || state_->phase >= 2) return;
  try {
    wait();
  } catch (...) {
    // The failure is recorded in the group (every later call reports it); a destructor must
    // not throw.
  }
}

bool Work::is_completed() {
  XGRAD_CHECK(state_ != nullptr, ValueError, "Work: moved-from");
  try {
    return advance(*state_);
  } catch (...) {
    if (state_->phase == 3 || group().broken) group().graveyard.push_back(state_);
    throw;
  }
}

void Work::wait() {
  XGRAD_CHECK(state_ != nullptr, ValueError, "Work: moved-from");
  int spins = 0;
  while (!is_completed()) pause(spins);
}

bool is_available() { return true; }

bool is_initialized() { return group().initialized; }

void init_process_group(const std::string& backend, const ProcessGroupOptions& options) {
  auto& g = group();
  XGRAD_CHECK(backend == "mpi", ValueError,
              "init_process_group: backend \"{}\" is not available; xgrad communicates through MPI: use \"mpi\"",
              backend);
  XGRAD_CHECK(options.timeout().count() > 0, ValueError, "init_process_group: timeout must be positive, got {} ms",
              options.timeout().count());
  XGRAD_CHECK(!g.initialized, DistributedError,
              "init_process_group: trying to initialize the default process group twice");
  XGRAD_CHECK(!g.broken, DistributedError, "init_process_group: an earlier process group failed ({})",
              g.broken_reason);
  int already = 0, finalized = 0;
  MPI_Initialized(&already);
  MPI_Finalized(&finalized);
  XGRAD_CHECK(!finalized, DistributedError,
              "init_process_group: MPI has already been finalized in this process; MPI cannot be restarted");
  if (!already) {
    int provided = 0;
    const int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    XGRAD_CHECK(rc == MPI_SUCCESS, DistributedError, "init_process_group: MPI_Init_thread failed (code {})", rc);
    g.owns_mpi = true;
  }
  // Errors come back as codes we turn into exceptions, instead of MPI aborting the job.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g.size);
  g.timeout = options.timeout();
  g.sequence = 0;
  g.initialized = true;
  if (!g.exit_hook) {
    std::atexit(at_exit);
    g.exit_hook = true;
  }
}

void destroy_process_group() {
  auto& g = group();
  XGRAD_CHECK(g.initialized, DistributedError,
              "destroy_process_group: the default process group has not been initialized");
  if (g.owns_mpi && !g.broken) {
    std::lock_guard lock(g.mutex);
    MPI_Finalize();
  }
  // MPI cannot be initialized twice in one process: a later init_process_group reports that.
  g.initialized = false;
}

int64_t get_rank() { return ready_group("get_rank").rank; }
int64_t get_world_size() { return ready_group("get_world_size").size; }
std::string get_backend() {
  ready_group("get_backend");
  return "mpi";
}
std::chrono::milliseconds get_timeout() { return ready_group("get_timeout").timeout; }

Work all_reduce_async(const Tensor& tensor, ReduceOp op) {
  auto& g = ready_group("all_reduce");
  check_tensor(tensor, "all_reduce");
  XGRAD_CHECK(op != ReduceOp::AVG || is_floating_point(tensor.dtype()), TypeError,
              "all_reduce: ReduceOp::AVG needs a floating-point tensor, got {}; use SUM and divide", dtype_name(tensor.dtype()));
  auto s = std::make_shared<Work::State>();
  s->tensor = tensor;
  s->op = op;
  s->signature = make_signature(Kind::all_reduce, static_cast<int64_t>(op), &tensor, g.sequence++);
  s->all_signatures.resize(static_cast<size_t>(kSigLen) * static_cast<size_t>(g.size));
  s->deadline = std::chrono::steady_clock::now() + g.timeout;
  {
    std::lock_guard lock(g.mutex);
    check_mpi(MPI_Iallgather(s->signature.data(), kSigLen, MPI_INT64_T, s->all_signatures.data(), kSigLen,
                             MPI_INT64_T, MPI_COMM_WORLD, &s->sig_request),
              "all_reduce");
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, raw(tensor), static_cast<int>(tensor.numel()), mpi_type(tensor.dtype()),
                             mpi_op(op), MPI_COMM_WORLD, &s->data_request),
              "all_reduce");
  }
  return Work(std::move(s));
}

void all_reduce(const Tensor& tensor, ReduceOp op) {
  auto& g = ready_group("all_reduce");
  check_tensor(tensor, "all_reduce");
  XGRAD_CHECK(op != ReduceOp::AVG || is_floating_point(tensor.dtype()), TypeError,
              "all_reduce: ReduceOp::AVG needs a floating-point tensor, got {}; use SUM and divide",
              dtype_name(tensor.dtype()));
  const Signature sig = make_signature(Kind::all_reduce, static_cast<int64_t>(op), &tensor, g.sequence++);
  agree(sig, "all_reduce");
  MPI_Request req;
  {
    std::lock_guard lock(g.mutex);
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, raw(tensor), static_cast<int>(tensor.numel()), mpi_type(tensor.dtype()),
                             mpi_op(op), MPI_COMM_WORLD, &req),
              "all_reduce");
  }
  wait_request(req, std::chrono::steady_clock::now() + g.timeout, "all_reduce", describe(sig));
  if (op == ReduceOp::AVG) tensor.detach().div_(static_cast<double>(g.size));
}

void broadcast(const Tensor& tensor, int64_t src) {
  auto& g = ready_group("broadcast");
  check_tensor(tensor, "broadcast");
  XGRAD_CHECK(src >= 0 && src < g.size, ValueError, "broadcast: src must be a rank in [0, {}), got {}", g.size, src);
  const Signature sig = make_signature(Kind::broadcast, src, &tensor, g.sequence++);
  agree(sig, "broadcast");
  MPI_Request req;
  {
    std::lock_guard lock(g.mutex);
    check_mpi(MPI_Ibcast(raw(tensor), static_cast<int>(tensor.numel()), mpi_type(tensor.dtype()),
                         static_cast<int>(src), MPI_COMM_WORLD, &req),
              "broadcast");
  }
  wait_request(req, std::chrono::steady_clock::now() + g.timeout, "broadcast", describe(sig));
}

void all_gather_into_tensor(const Tensor& output, const Tensor& input) {
  auto& g = ready_group("all_gather_into_tensor");
  check_tensor(input, "all_gather_into_tensor");
  check_tensor(output, "all_gather_into_tensor");
  XGRAD_CHECK(output.dtype() == input.dtype(), TypeError,
              "all_gather_into_tensor: output has dtype {} but input has {}", dtype_name(output.dtype()),
              dtype_name(input.dtype()));
  XGRAD_CHECK(output.numel() == input.numel() * g.size, ShapeError,
              "all_gather_into_tensor: output must hold world_size ({}) × input's {} elements, but has {} (sizes {})",
              g.size, input.numel(), output.numel(), to_string(output.sizes()));
  const Signature sig = make_signature(Kind::all_gather, 0, &input, g.sequence++);
  agree(sig, "all_gather");
  MPI_Request req;
  {
    std::lock_guard lock(g.mutex);
    check_mpi(MPI_Iallgather(raw(input), static_cast<int>(input.numel()), mpi_type(input.dtype()),
                             raw(output), static_cast<int>(input.numel()), mpi_type(input.dtype()),
                             MPI_COMM_WORLD, &req),
              "all_gather");
  }
  wait_request(req, std::chrono::steady_clock::now() + g.timeout, "all_gather", describe(sig));
}

void all_gather(std::vector<Tensor>& tensor_list, const Tensor& tensor) {
  auto& g = ready_group("all_gather");
  check_tensor(tensor, "all_gather");
  if (!tensor_list.empty()) {
    XGRAD_CHECK(static_cast<int64_t>(tensor_list.size()) == g.size, ShapeError,
                "all_gather: tensor_list must hold world_size ({}) tensors, got {}", g.size, tensor_list.size());
    for (size_t r = 0; r < tensor_list.size(); ++r)
      XGRAD_CHECK(tensor_list[r].defined() && tensor_list[r].sizes() == tensor.sizes() &&
                      tensor_list[r].dtype() == tensor.dtype(),
                  ShapeError, "all_gather: tensor_list[{}] must be a {} tensor of sizes {}", r,
                  dtype_name(tensor.dtype()), to_string(tensor.sizes()));
  }
  std::vector<int64_t> out_sizes{g.size};
  for (auto s : tensor.sizes()) out_sizes.push_back(s);
  Tensor gathered = empty(out_sizes, TensorOptions().dtype(tensor.dtype()));
  all_gather_into_tensor(gathered, tensor.contiguous());
  if (tensor_list.empty()) {
    for (int64_t r = 0; r < g.size; ++r) tensor_list.push_back(gathered[r]);
  } else {
    for (int64_t r = 0; r < g.size; ++r) tensor_list[static_cast<size_t>(r)].detach().copy_(gathered[r]);
  }
}

void barrier() {
  auto& g = ready_group("barrier");
  const Signature sig = make_signature(Kind::barrier, 0, nullptr, g.sequence++);
  agree(sig, "barrier");
}

}  // namespace xgrad::distributed
