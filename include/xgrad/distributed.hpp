#pragma once
/// \file
/// Collective communication between processes, as PyTorch's `torch.distributed`, on Open MPI.
///
///     // mpirun -np 2 ./train
///     xgrad::distributed::init_process_group("mpi");
///     auto t = xgrad::ones({4}) * (xgrad::distributed::get_rank() + 1);
///     xgrad::distributed::all_reduce(t);             // every rank now holds [3, 3, 3, 3]
///     xgrad::distributed::destroy_process_group();
///
/// The launcher (`mpirun`) tells each process its rank and the world size; there is no address
/// or port to pass. Collectives work on whole, contiguous tensors of dtype float32, float64 or
/// int64, in place, and every rank must call the same collectives in the same order with
/// tensors of the same dtype and shape.
///
/// **Nothing hangs.** Each collective first exchanges a small signature (operation, dtype,
/// shape) so that a mismatch between ranks is an error on every rank instead of undefined
/// behaviour, and each waits at most the process group's timeout: a peer that died or never
/// arrives makes the call throw `DistributedError` on the ranks still alive. After such a
/// failure the process group is unusable (every later call throws) and the process should
/// exit; `destroy_process_group` then skips MPI's shutdown handshake so it cannot block.
///
/// Built without MPI (`-Dmpi=disabled`, or no `libopenmpi-dev`), `is_available()` is false and
/// `init_process_group` throws `DistributedError` saying so.

#include <xgrad/error.hpp>
#include <xgrad/tensor.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xgrad {

/// A failure of inter-process communication: a peer gone or too slow (timeout), ranks that
/// disagree about a collective, or a process group used before `init_process_group`.
class DistributedError : public Error {
 public:
  using Error::Error;
};

namespace distributed {

/// Element-wise reduction of `all_reduce` (PyTorch's `torch.distributed.ReduceOp`). AVG is the
/// SUM divided by the world size (float dtypes only).
enum class ReduceOp { SUM, AVG, PRODUCT, MIN, MAX };

/// PyTorch's default collective timeout: 30 minutes.
inline constexpr std::chrono::milliseconds default_pg_timeout{30 * 60 * 1000};

/// Options of init_process_group, with chainable setters.
struct ProcessGroupOptions {
  /// How long one collective may wait for the other ranks before throwing DistributedError.
  /// Must be positive. PyTorch: `init_process_group(..., timeout=timedelta(...))`.
  ProcessGroupOptions& timeout(std::chrono::milliseconds value) {
    timeout_ = value;
    return *this;
  }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  std::chrono::milliseconds timeout_ = default_pg_timeout;
};

/// Whether this xgrad was built with MPI support.
bool is_available();
/// Whether init_process_group has been called (and destroy_process_group not yet).
bool is_initialized();

/// Joins the processes started by the launcher into the default process group.
/// `backend` must be "mpi" (the only backend; "gloo" and "nccl" throw ValueError). Reads
/// rank and world size from the launcher's environment; a process started without a launcher
/// becomes a world of one. Throws DistributedError when already initialized or when xgrad
/// was built without MPI.
void init_process_group(const std::string& backend = "mpi", const ProcessGroupOptions& options = {});
/// Leaves the process group (MPI_Finalize, unless an earlier failure made that unsafe). A
/// process that never calls it is cleaned up at exit.
void destroy_process_group();

/// This process's rank, 0 … world size − 1. Throws DistributedError before init.
int64_t get_rank();
/// Number of processes in the group. Throws DistributedError before init.
int64_t get_world_size();
/// "mpi".
std::string get_backend();
/// The timeout every collective uses.
std::chrono::milliseconds get_timeout();

/// Reduces `tensor` element-wise across all ranks and leaves the result in `tensor` on every
/// rank (in place, as PyTorch). `tensor`: contiguous float32, float64 or int64, same shape on
/// every rank. Throws ShapeError/TypeError for an unusable tensor, DistributedError when ranks
/// disagree or the timeout passes.
void all_reduce(const Tensor& tensor, ReduceOp op = ReduceOp::SUM);
/// Copies rank `src`'s `tensor` into `tensor` on every other rank.
void broadcast(const Tensor& tensor, int64_t src = 0);
/// Fills `tensor_list` with every rank's `tensor`, in rank order. An empty list is filled with
/// new tensors; otherwise it must hold world-size tensors shaped as `tensor`.
void all_gather(std::vector<Tensor>& tensor_list, const Tensor& tensor);
/// Concatenates every rank's `input` along dimension 0 into `output` (shape
/// [world_size * input.size(0), …]), PyTorch's `all_gather_into_tensor`.
void all_gather_into_tensor(const Tensor& output, const Tensor& input);
/// Returns once every rank has called barrier.
void barrier();

/// A collective started by `all_reduce_async`; `wait()` finishes it (with the timeout) and
/// throws what the collective would have thrown. Destroying an unfinished Work waits for it.
class Work {
 public:
  struct State;
  explicit Work(std::shared_ptr<State> state);
  ~Work();
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  Work(Work&&) noexcept;
  Work& operator=(Work&&) noexcept;
  /// Whether the collective has finished (drives MPI's progress without blocking).
  bool is_completed();
  /// Blocks until the collective has finished, at most the process group's timeout.
  void wait();

 private:
  std::shared_ptr<State> state_;
};

/// all_reduce that returns at once (PyTorch's `async_op=True`): communication proceeds while
/// the caller computes. `tensor` must stay alive and unmodified until `wait()`.
Work all_reduce_async(const Tensor& tensor, ReduceOp op = ReduceOp::SUM);

}  // namespace distributed
}  // namespace xgrad
