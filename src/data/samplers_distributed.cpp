// Distributed samplers. Both lay out one list for the whole epoch — 0 .. size − 1, padded to
// num_replicas × local_sample_count() with 0, 1, ... again when duplicates are allowed, cut to
// that length when not — and give rank r the block [r × count, (r + 1) × count) of it. Every rank
// computes the same list from the same arguments, which is what makes the shards disjoint without
// communication. The sequential sampler never materialises the list (entry i is i mod size); the
// random one has to, to shuffle it.
#include <xgrad/data/samplers/distributed.hpp>

#include <algorithm>
#include <numeric>
#include <random>

namespace xgrad::data::samplers {

namespace {

// The batch bounds [begin, end) of the next request, clipped to this rank's shard; nullopt when
// the shard is exhausted or nothing was asked for. (LibTorch returns an empty batch for 0, which
// would make a `while (next(0))` loop spin forever.)
std::optional<size_t> batch_end(size_t sample_index, size_t end_index, size_t batch_size) {
  if (sample_index >= end_index || batch_size == 0) return std::nullopt;
  return sample_index + std::min(batch_size, end_index - sample_index);
}

}  // namespace

DistributedRandomSampler::DistributedRandomSampler(size_t size, size_t num_replicas, size_t rank,
                                                   bool allow_duplicates)
    : DistributedSampler("DistributedRandomSampler", size, num_replicas, rank, allow_duplicates) {
  // Qualified: a virtual call from a constructor should say which function it means.
  DistributedRandomSampler::reset(size_);
}

void DistributedRandomSampler::reset(std::optional<size_t> new_size) {
  size_ = new_size.value_or(size_);
  populate_indices();
  // LibTorch's recipe, so the same epoch gives LibTorch's order (with libstdc++, whose
  // std::shuffle LibTorch's binary was built with) and the same order on every rank. mt19937 is
  // fully specified by the standard; std::shuffle's use of it is the library's.
  std::mt19937 engine(epoch_);
  std::shuffle(all_indices_.begin(), all_indices_.end(), engine);
  sample_index_ = begin_index_;
}

std::optional<std::vector<size_t>> DistributedRandomSampler::next(size_t batch_size) {
  const auto end = batch_end(sample_index_, end_index_, batch_size);
  if (!end) return std::nullopt;
  std::vector<size_t> out(all_indices_.begin() + static_cast<std::ptrdiff_t>(sample_index_),
                          all_indices_.begin() + static_cast<std::ptrdiff_t>(*end));
  sample_index_ = *end;
  return out;
}

size_t DistributedRandomSampler::index() const noexcept { return sample_index_; }

void DistributedRandomSampler::populate_indices() {
  const size_t count = local_sample_count();
  // With one replica the list is the dataset itself (count = size either way).
  const size_t total = num_replicas_ == 1 ? size_ : count * num_replicas_;
  all_indices_.resize(total);
  std::iota(all_indices_.begin(), all_indices_.end(), size_t{0});
  // Padding entries (only with allow_duplicates; without, total <= size) wrap to 0, 1, ...
  // LibTorch writes i − size here, which leaves [0, size) when the padding is longer than the
  // dataset (1 example over 3 replicas); the modulo agrees with it wherever it is in range.
  for (size_t i = size_; i < total; ++i) all_indices_[i] = (i - size_) % size_;
  begin_index_ = rank_ * count;
  end_index_ = begin_index_ + count;
  sample_index_ = begin_index_;
}

DistributedSequentialSampler::DistributedSequentialSampler(size_t size, size_t num_replicas, size_t rank,
                                                           bool allow_duplicates)
    : DistributedSampler("DistributedSequentialSampler", size, num_replicas, rank, allow_duplicates) {
  populate_indices();
}

void DistributedSequentialSampler::reset(std::optional<size_t> new_size) {
  const size_t size = new_size.value_or(size_);
  if (size != size_) {
    size_ = size;
    populate_indices();
  } else {
    sample_index_ = begin_index_;
  }
}

std::optional<std::vector<size_t>> DistributedSequentialSampler::next(size_t batch_size) {
  const auto end = batch_end(sample_index_, end_index_, batch_size);
  if (!end) return std::nullopt;
  // A non-empty shard implies size_ > 0, so the modulo is defined; it only changes entries of the
  // padding (positions >= size), which wrap to 0, 1, ...
  std::vector<size_t> out(*end - sample_index_);
  for (size_t i = 0; i < out.size(); ++i) out[i] = (sample_index_ + i) % size_;
  sample_index_ = *end;
  return out;
}

size_t DistributedSequentialSampler::index() const noexcept { return sample_index_; }

void DistributedSequentialSampler::populate_indices() {
  begin_index_ = rank_ * local_sample_count();
  end_index_ = begin_index_ + local_sample_count();
  sample_index_ = begin_index_;
}

}  // namespace xgrad::data::samplers
