#pragma once
/// \file
/// `make_data_loader` and the loader it returns, as LibTorch's `torch::data::make_data_loader`
/// and `StatelessDataLoader`:
///
///     using namespace xgrad::data;
///     auto train = datasets::MNIST(root)
///                      .map(transforms::Normalize<>(0.2860, 0.3530))
///                      .map(transforms::Stack<>());
///     auto loader = make_data_loader<samplers::RandomSampler>(
///         std::move(train), DataLoaderOptions().batch_size(256).workers(2));
///     for (int epoch = 0; epoch < 10; ++epoch)
///       for (auto& batch : *loader) { batch.data; batch.target; }   // a new permutation per epoch
///
/// Every `begin()` starts an epoch: the sampler is reset and batches come in the sampler's
/// order. Beginning again before the end abandons the rest of the current epoch.
///
/// Workers: with `workers(n)`, n threads assemble batches ahead of the consumer (at most
/// `max_jobs` requested ahead, default 2n). The sampler is only ever asked on the calling thread,
/// in order, and every result is handed out in request order, so the batches are exactly those
/// of `workers(0)` whatever the thread timing (given a dataset whose get_batch depends only on
/// its indices; a transform drawing random numbers would draw them in thread order). Each worker
/// owns a copy of the dataset, as in LibTorch (datasets hold tensors, which copies share), and
/// so does the calling thread: when the batch it needs next has not been started by any worker,
/// it assembles that batch itself rather than wait for a worker to be scheduled.
///
/// Errors: ValueError from make_data_loader for batch_size 0, max_jobs 0 with workers, or an
/// unsized dataset. An exception thrown by get_batch — on the calling thread or in a worker — is
/// rethrown, with its own type and message, from the iterator step that would have yielded that
/// batch (LibTorch wraps worker exceptions in WorkerException; xgrad keeps the original so an
/// `xgrad::IOError` stays one). Destroying the loader, even mid-epoch, stops and joins the
/// workers after the batches they are assembling.

#include <xgrad/data/dataloader_options.hpp>
#include <xgrad/data/detail/stacked.hpp>
#include <xgrad/data/iterator.hpp>
#include <xgrad/data/samplers/random.hpp>
#include <xgrad/error.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace xgrad::data {

/// A DataLoader over a dataset whose batches depend only on their requests, driven by a sampler.
template <typename Dataset, typename Sampler>
class StatelessDataLoader : private detail::BatchProducer<typename Dataset::BatchType> {
 public:
  using BatchType = typename Dataset::BatchType;
  using BatchRequestType = typename Sampler::BatchRequestType;

  StatelessDataLoader(Dataset dataset, Sampler sampler, DataLoaderOptions options)
      : options_(options), sampler_(std::move(sampler)) {
    XGRAD_CHECK(options_.batch_size >= 1, ValueError, "DataLoader: batch_size must be at least 1, got 0");
    XGRAD_CHECK(options_.workers == 0 || options_.max_jobs >= 1, ValueError,
                "DataLoader: max_jobs must be at least 1 with {} workers, got 0", options_.workers);
    try {
      for (size_t w = 0; w < options_.workers; ++w)
        workers_.emplace_back([this, copy = dataset]() mutable { worker_loop(copy); });
    } catch (...) {
      join();
      throw;
    }
    // The calling thread's own copy: all batches with workers(0), and with workers the batch
    // the consumer needs next when no worker has started it yet.
    main_dataset_ = std::make_unique<Dataset>(std::move(dataset));
  }

  StatelessDataLoader(const StatelessDataLoader&) = delete;
  StatelessDataLoader& operator=(const StatelessDataLoader&) = delete;

  ~StatelessDataLoader() override { join(); }

  /// Starts an epoch (resets the sampler, requests the first batches).
  Iterator<BatchType> begin() {
    reset();
    return Iterator<BatchType>(static_cast<detail::BatchProducer<BatchType>*>(this));
  }
  Iterator<BatchType> end() { return Iterator<BatchType>(); }

  /// Stops and joins the workers (also done by the destructor); the loader yields nothing after.
  void join() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      jobs_.clear();
    }
    job_ready_.notify_all();
    for (auto& t : workers_)
      if (t.joinable()) t.join();
  }

  const FullDataLoaderOptions& options() const noexcept { return options_; }

 private:
  struct Job {
    uint64_t epoch;
    size_t sequence;
    BatchRequestType request;
  };
  struct Result {
    std::optional<BatchType> batch;
    std::exception_ptr error;
  };

  // The sampler's next request, or nullopt at the end of the epoch (or a short last batch with
  // drop_last). Called on the consumer's thread only.
  std::optional<BatchRequestType> next_request() {
    auto indices = sampler_.next(options_.batch_size);
    if (!indices || indices->size() == 0) return std::nullopt;
    if (options_.drop_last && indices->size() < options_.batch_size) return std::nullopt;
    return indices;
  }

  void reset() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      XGRAD_CHECK(!stop_ || workers_.empty(), ValueError, "DataLoader: iterating after join()");
      ++epoch_;  // results of an abandoned epoch are dropped when they arrive
      jobs_.clear();
      results_.clear();
      next_sequence_ = 0;
      next_result_ = 0;
      in_flight_ = 0;
    }
    sampler_.reset();
    if (options_.workers > 0) request(options_.max_jobs);
  }

  // Asks the sampler for up to n more batches and queues them for the workers.
  void request(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      auto req = next_request();
      if (!req) return;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.push_back(Job{epoch_, next_sequence_++, std::move(*req)});
        ++in_flight_;
      }
      job_ready_.notify_one();
    }
  }

  std::optional<BatchType> next_batch() override {
    if (options_.workers == 0) {
      auto req = next_request();
      if (!req) return std::nullopt;
      return main_dataset_->get_batch(std::move(*req));
    }
    Result r;
    std::optional<Job> own;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (in_flight_ == 0) return std::nullopt;
      if (results_.count(next_result_) == 0 && !jobs_.empty() && jobs_.front().sequence == next_result_) {
        // No worker has started the batch we need: assembling it here beats waiting for a worker
        // to be scheduled (the same get_batch on the same request, so the same batch).
        own.emplace(std::move(jobs_.front()));
        jobs_.pop_front();
      } else {
        result_ready_.wait(lock, [&] { return results_.count(next_result_) != 0; });
        auto node = results_.extract(next_result_);
        r = std::move(node.mapped());
      }
      ++next_result_;
      --in_flight_;
    }
    request(1);  // keep max_jobs in flight, also after a failed batch
    if (own) return main_dataset_->get_batch(std::move(own->request));
    if (r.error) std::rethrow_exception(r.error);
    return std::move(r.batch);
  }

  void worker_loop(Dataset& dataset) {
    detail::mark_loader_worker_thread();
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        job_ready_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        if (stop_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      Result r;
      try {
        r.batch.emplace(dataset.get_batch(std::move(job.request)));
      } catch (...) {
        r.error = std::current_exception();
      }
      bool delivered = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (job.epoch == epoch_ && !stop_) {
          results_.emplace(job.sequence, std::move(r));
          delivered = true;
        }
      }
      if (delivered) result_ready_.notify_all();
    }
  }

  const FullDataLoaderOptions options_;
  Sampler sampler_;
  std::unique_ptr<Dataset> main_dataset_;  // the consumer's copy
  std::vector<std::thread> workers_;

  std::mutex mutex_;
  std::condition_variable job_ready_, result_ready_;
  std::deque<Job> jobs_;
  std::map<size_t, Result> results_;  // finished batches of this epoch, by sequence number
  uint64_t epoch_ = 0;
  size_t next_sequence_ = 0;  // sequence number of the next request
  size_t next_result_ = 0;    // sequence number the consumer waits for
  size_t in_flight_ = 0;      // requested and not yet handed out
  bool stop_ = false;
};

/// A loader over `dataset` with `sampler`.
template <typename Dataset, typename Sampler>
std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(Dataset dataset, Sampler sampler,
                                                                        DataLoaderOptions options) {
  return std::make_unique<StatelessDataLoader<Dataset, Sampler>>(std::move(dataset), std::move(sampler),
                                                                 std::move(options));
}

/// A loader over `dataset` with a `Sampler(dataset.size())` — a RandomSampler unless another is
/// named, as in LibTorch. `options` may be just a batch size: `make_data_loader(ds, 64)`.
template <typename Sampler = samplers::RandomSampler, typename Dataset>
  requires std::is_constructible_v<Sampler, size_t>
std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(Dataset dataset,
                                                                        DataLoaderOptions options = DataLoaderOptions()) {
  const std::optional<size_t> size = dataset.size();
  XGRAD_CHECK(size.has_value(), ValueError,
              "make_data_loader: the dataset has no size(); a sampler needs one to be built from it");
  return make_data_loader(std::move(dataset), Sampler(*size), std::move(options));
}

}  // namespace xgrad::data
