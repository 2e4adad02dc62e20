// Reference values for tests/data/samplers_distributed.cpp: LibTorch 1.13's own
// DistributedSequentialSampler and DistributedRandomSampler, printed as C++ initialisers that the
// test pastes verbatim. Build and run (Debian's libtorch 1.13, g++ 12 / libstdc++):
//
//   g++ -std=c++17 -I/usr/include/torch/csrc/api/include -o /tmp/distributed_samplers
//       tests/reference/distributed_samplers.cpp -ltorch -ltorch_cpu -lc10
//   /tmp/distributed_samplers
//
// Each line is {size, num_replicas, rank, allow_duplicates, [epoch,] {batches of 3 (sequential)
// or 4 (random)}}, then MNIST-sized random shards as checksums, then a reset scenario. Random cases whose padding would make LibTorch hand out an index >= size
// (size < padding, e.g. size 1 over 3 replicas) are left out: that is a LibTorch bug xgrad does not copy.
#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

template <typename S>
std::string drain(S& s, size_t batch) {
  std::string out = "{";
  bool first = true;
  while (auto b = s.next(batch)) {
    out += first ? "{" : ", {";
    first = false;
    for (size_t i = 0; i < b->size(); ++i) out += (i ? ", " : "") + std::to_string((*b)[i]);
    out += "}";
  }
  return out + "}";
}

}  // namespace

int main() {
  using torch::data::samplers::DistributedRandomSampler;
  using torch::data::samplers::DistributedSequentialSampler;
  std::printf("// sequential, batch 3\n");
  for (size_t size : {0, 1, 7, 10})
    for (size_t n = 1; n <= 5; ++n)
      for (int dup = 1; dup >= 0; --dup)
        for (size_t rank = 0; rank < n; ++rank) {
          DistributedSequentialSampler s(size, n, rank, dup != 0);
          std::printf("{%zu, %zu, %zu, %s, %s},\n", size, n, rank, dup ? "true" : "false", drain(s, 3).c_str());
        }
  std::printf("// random, batch 4\n");
  for (size_t size : {0, 1, 7, 10})
    for (size_t n = 1; n <= 5; ++n)
      for (int dup = 1; dup >= 0; --dup) {
        const size_t local = dup ? (size + n - 1) / n : size / n;
        if (dup && local * n - size > size && n > 1) continue;  // LibTorch pads with out-of-range indices
        for (size_t epoch : {0, 1, 5})
          for (size_t rank = 0; rank < n; ++rank) {
            DistributedRandomSampler s(size, n, rank, dup != 0);
            s.set_epoch(epoch);
            s.reset();
            std::printf("{%zu, %zu, %zu, %s, %zu, %s},\n", size, n, rank, dup ? "true" : "false", epoch,
                        drain(s, 4).c_str());
          }
      }
  // MNIST-sized shards: the first 8 indices of each rank's epoch and a position-weighted checksum
  // sum_i (i + 1) * index_i over the whole shard.
  std::printf("// random 60000, epoch 3: {n, rank, dup, first 8, checksum}\n");
  for (size_t n : {3, 4, 7})
    for (int dup = 1; dup >= 0; --dup)
      for (size_t rank = 0; rank < n; ++rank) {
        DistributedRandomSampler s(60000, n, rank, dup != 0);
        s.set_epoch(3);
        s.reset();
        std::vector<size_t> all;
        while (auto b = s.next(1000)) all.insert(all.end(), b->begin(), b->end());
        unsigned long long sum = 0;
        for (size_t i = 0; i < all.size(); ++i) sum += (i + 1) * static_cast<unsigned long long>(all[i]);
        std::printf("{%zu, %zu, %s, {", n, rank, dup ? "true" : "false");
        for (size_t i = 0; i < 8; ++i) std::printf("%s%zu", i ? ", " : "", all[i]);
        std::printf("}, %zu, %lluull},\n", all.size(), sum);
      }
  // The case xgrad does not copy: 1 example over 3 replicas pads with indices 1 (and 2 ...) that
  // a dataset of one example does not have.
  std::printf("// LibTorch out of range, size 1, 3 replicas, epoch 0:");
  for (size_t rank = 0; rank < 3; ++rank) {
    DistributedRandomSampler s(1, 3, rank);
    std::printf(" rank %zu %s", rank, drain(s, 4).c_str());
  }
  std::printf("\n");
  // A scenario: part of an epoch, reset to a new size, set_epoch, reset again.
  std::printf("// scenario\n");
  DistributedSequentialSampler q(10, 3, 1);
  std::printf("seq next(2) %s\n", drain(q, 2).c_str());
  q.reset(7);
  std::printf("seq reset(7) %s\n", drain(q, 2).c_str());
  q.reset();
  std::printf("seq reset() %s\n", drain(q, 5).c_str());
  DistributedRandomSampler r(10, 3, 2);
  std::printf("rnd epoch0 %s\n", drain(r, 2).c_str());
  r.set_epoch(2);
  std::printf("rnd set_epoch(2) without reset %s\n", drain(r, 2).c_str());
  r.reset();
  std::printf("rnd set_epoch(2) reset() %s\n", drain(r, 2).c_str());
  r.reset(7);
  std::printf("rnd reset(7) %s\n", drain(r, 2).c_str());
  return 0;
}
