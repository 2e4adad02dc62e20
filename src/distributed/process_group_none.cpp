// The process group of an xgrad built without MPI: every entry point says so, instead of
// pretending to be a world of one (a program launched under mpirun would then silently train
// N independent copies).

#include <xgrad/distributed.hpp>

namespace xgrad::distributed {

namespace {
[[noreturn]] void unavailable(const char* op) {
  XGRAD_THROW(DistributedError,
              "{}: this xgrad was built without MPI; install libopenmpi-dev and openmpi-bin and rebuild "
              "(meson setup -Dmpi=enabled)",
              op);
}
}  // namespace

struct Work::State {};
Work::Work(std::shared_ptr<State> state) : state_(std::move(state)) {}
Work::~Work() = default;
Work::Work(Work&&) noexcept = default;
Work& Work::operator=(Work&&) noexcept = default;
bool Work::is_completed() { unavailable("Work::is_completed"); }
void Work::wait() { unavailable("Work::wait"); }

bool is_available() { return false; }
bool is_initialized() { return false; }
void init_process_group(const std::string&, const ProcessGroupOptions&) { unavailable("init_process_group"); }
void destroy_process_group() { unavailable("destroy_process_group"); }
int64_t get_rank() { unavailable("get_rank"); }
int64_t get_world_size() { unavailable("get_world_size"); }
std::string get_backend() { unavailable("get_backend"); }
std::chrono::milliseconds get_timeout() { unavailable("get_timeout"); }
void all_reduce(const Tensor&, ReduceOp) { unavailable("all_reduce"); }
Work all_reduce_async(const Tensor&, ReduceOp) { unavailable("all_reduce"); }
void broadcast(const Tensor&, int64_t) { unavailable("broadcast"); }
void all_gather(std::vector<Tensor>&, const Tensor&) { unavailable("all_gather"); }
void all_gather_into_tensor(const Tensor&, const Tensor&) { unavailable("all_gather_into_tensor"); }
void barrier() { unavailable("barrier"); }

}  // namespace xgrad::distributed
