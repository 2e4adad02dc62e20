// Sequential and random samplers. The random permutation comes from xgrad::randperm, i.e. from
// the global generator under its lock, so it is reproducible after manual_seed.
#include <xgrad/data/samplers/random.hpp>
#include <xgrad/data/samplers/sequential.hpp>
#include <xgrad/error.hpp>
#include <xgrad/tensor.hpp>

#include <algorithm>

namespace xgrad::data::samplers {

namespace {

std::optional<std::vector<size_t>> take(const std::vector<size_t>* order, size_t size, size_t& index,
                                        size_t batch_size) {
  if (index >= size || batch_size == 0) return std::nullopt;
  const size_t n = std::min(batch_size, size - index);
  std::vector<size_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = order ? (*order)[index + i] : index + i;
  index += n;
  return out;
}

std::vector<size_t> permutation(size_t size) {
  std::vector<size_t> out(size);
  if (size == 0) return out;
  const Tensor p = xgrad::randperm(static_cast<int64_t>(size));
  const int64_t* v = p.data_ptr<int64_t>();
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<size_t>(v[i]);
  return out;
}

}  // namespace

SequentialSampler::SequentialSampler(size_t size) : size_(size) {}

void SequentialSampler::reset(std::optional<size_t> new_size) {
  if (new_size) size_ = *new_size;
  index_ = 0;
}

std::optional<std::vector<size_t>> SequentialSampler::next(size_t batch_size) {
  return take(nullptr, size_, index_, batch_size);
}

size_t SequentialSampler::index() const noexcept { return index_; }

RandomSampler::RandomSampler(int64_t size, ScalarType index_dtype) {
  XGRAD_CHECK(size >= 0, ValueError, "RandomSampler: size must be >= 0, got {}", size);
  XGRAD_CHECK(index_dtype == kInt64, TypeError, "RandomSampler: index_dtype must be int64 (the only integer dtype), got {}",
              dtype_name(index_dtype));
  indices_ = permutation(static_cast<size_t>(size));
}

void RandomSampler::reset(std::optional<size_t> new_size) {
  indices_ = permutation(new_size.value_or(indices_.size()));
  index_ = 0;
}

std::optional<std::vector<size_t>> RandomSampler::next(size_t batch_size) {
  return take(&indices_, indices_.size(), index_, batch_size);
}

size_t RandomSampler::index() const noexcept { return index_; }

}  // namespace xgrad::data::samplers
