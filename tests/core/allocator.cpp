#define BOOST_TEST_MODULE allocator
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <xgrad/memory.hpp>

#include <cstdint>
#include <set>
#include <thread>
#include <vector>

// The storage allocator's cache of large blocks (src/core/allocator.hpp).

using namespace xgrad;

BOOST_AUTO_TEST_CASE(a_large_block_is_reused_by_the_next_tensor_of_its_size) {
  empty_cache();
  BOOST_TEST(cached_bytes() == 0u);
  const void* first = nullptr;
  {
    auto t = ones({1024, 1024});  // 4 MiB
    first = t.data_ptr<float>();
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(first) % 64 == 0u);
  }
  BOOST_TEST(cached_bytes() == 4u * 1024 * 1024);
  auto u = empty({2048, 512});  // same byte size, other shape
  BOOST_TEST(u.data_ptr<float>() == first);
  BOOST_TEST(cached_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(reused_memory_is_not_shared_with_a_live_tensor) {
  empty_cache();
  auto a = full({512, 1024}, 1.0f);
  auto b = full({512, 1024}, 2.0f);  // same size while a lives: a different block
  BOOST_TEST(a.data_ptr<float>() != b.data_ptr<float>());
  BOOST_TEST(a.sum().item<double>() == 512.0 * 1024.0);
  BOOST_TEST(b.sum().item<double>() == 2.0 * 512.0 * 1024.0);
}

BOOST_AUTO_TEST_CASE(small_blocks_bypass_the_cache_and_empty_cache_releases_everything) {
  empty_cache();
  { auto small = ones({100, 100}); }
  BOOST_TEST(cached_bytes() == 0u);
  { auto big = ones({3, 1024, 1024}); }
  BOOST_TEST(cached_bytes() == 12u * 1024 * 1024);
  empty_cache();
  BOOST_TEST(cached_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(a_training_like_loop_keeps_the_cache_bounded) {
  empty_cache();
  auto w = randn({256, 256}).requires_grad_();
  for (int step = 0; step < 20; ++step) {
    auto x = randn({1024, 256});
    auto loss = x.matmul(w).relu().sum();
    loss.backward();
    w.mutable_grad() = Tensor();
  }
  // Each step frees what it allocated: the cache holds one step's large blocks, not twenty.
  BOOST_TEST(cached_bytes() <= 8u * 1024 * 1024);
}

// Blocks up to 4 KiB come from a per-thread free list (src/core/allocator.cpp): every one is
// 64-byte aligned, live tensors never share one, and a tensor made on one thread and freed on
// another (a pool worker) leaves both threads' lists usable.
BOOST_AUTO_TEST_CASE(small_blocks_are_aligned_distinct_and_survive_other_threads) {
  std::vector<Tensor> live;
  for (int64_t n = 1; n <= 1100; n += 7) {
    auto t = full({n}, static_cast<float>(n));
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(t.data_ptr<float>()) % 64 == 0u);
    live.push_back(t);
  }
  for (int round = 0; round < 3; ++round) {
    std::vector<Tensor> made(40);
    std::thread producer([&] {
      for (size_t i = 0; i < made.size(); ++i) made[i] = full({static_cast<int64_t>(i % 5 + 40)}, 3.0f);
    });
    producer.join();
    made.clear();  // freed here, allocated there
    std::vector<Tensor> again;
    for (int i = 0; i < 40; ++i) again.push_back(full({static_cast<int64_t>(i % 5 + 40)}, static_cast<float>(i)));
    for (int i = 0; i < 40; ++i) BOOST_TEST(again[static_cast<size_t>(i)].sum().item<double>() == (i % 5 + 40) * i);
  }
  std::set<const void*> seen;
  for (int64_t k = 0; k < static_cast<int64_t>(live.size()); ++k) {
    const int64_t n = 1 + 7 * k;
    BOOST_TEST(seen.insert(live[static_cast<size_t>(k)].data_ptr<float>()).second);
    BOOST_TEST(live[static_cast<size_t>(k)].sum().item<double>() == static_cast<double>(n) * static_cast<double>(n));
  }
}
