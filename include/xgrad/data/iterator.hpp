#pragma once
/// \file
/// The DataLoader's input iterator (LibTorch's `torch::data::Iterator`): `begin()` fetches
/// batches lazily from the loader until it is exhausted, when it compares equal to `end()`.
/// A batch returned by `*it` lives until the iterator is incremented.

#include <xgrad/error.hpp>

#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>

namespace xgrad::data {

namespace detail {
/// What an Iterator pulls batches from (the loader).
template <typename Batch>
class BatchProducer {
 public:
  virtual ~BatchProducer() = default;
  /// The next batch, or nullopt at the end of the epoch.
  virtual std::optional<Batch> next_batch() = 0;
};
}  // namespace detail

template <typename Batch>
class Iterator {
 public:
  using difference_type = std::ptrdiff_t;
  using value_type = Batch;
  using pointer = Batch*;
  using reference = Batch&;
  using iterator_category = std::input_iterator_tag;

  /// The end sentinel.
  Iterator() = default;
  /// A valid iterator over `producer` (copies share their position).
  explicit Iterator(detail::BatchProducer<Batch>* producer) : state_(std::make_shared<State>()) {
    state_->producer = producer;
  }

  Iterator& operator++() {
    XGRAD_CHECK(state_, ValueError, "DataLoader: incrementing the end iterator");
    fetch_first();
    XGRAD_CHECK(state_->batch.has_value(), ValueError, "DataLoader: incrementing an iterator past the end");
    state_->batch.reset();  // free the old batch before the next one is made
    state_->batch = state_->producer->next_batch();
    return *this;
  }
  Batch& operator*() { return get(); }
  Batch* operator->() { return &get(); }

  /// Two valid iterators are equal when they are the same position; a valid one equals the
  /// end sentinel once the epoch is exhausted.
  bool operator==(const Iterator& other) const {
    if (!state_ && !other.state_) return true;
    if (state_ && other.state_) return state_ == other.state_;
    const State& s = state_ ? *state_ : *other.state_;
    fetch_first(s);
    return !s.batch.has_value();
  }
  bool operator!=(const Iterator& other) const { return !(*this == other); }

 private:
  struct State {
    detail::BatchProducer<Batch>* producer = nullptr;
    mutable std::optional<Batch> batch;
    mutable bool started = false;
  };

  static void fetch_first(const State& s) {
    if (!s.started) {
      s.started = true;
      s.batch = s.producer->next_batch();
    }
  }
  void fetch_first() const { fetch_first(*state_); }

  Batch& get() {
    XGRAD_CHECK(state_, ValueError, "DataLoader: dereferencing the end iterator");
    fetch_first();
    XGRAD_CHECK(state_->batch.has_value(), ValueError, "DataLoader: dereferencing an iterator past the end");
    return *state_->batch;
  }

  std::shared_ptr<State> state_;
};

}  // namespace xgrad::data
