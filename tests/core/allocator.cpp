#define BOOST_TEST_MODULE allocator
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <xgrad/memory.hpp>

#include <cstdint>

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
