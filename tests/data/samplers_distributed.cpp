#define BOOST_TEST_MODULE data_samplers_distributed
// DistributedSequentialSampler / DistributedRandomSampler: shard geometry for 1..5 replicas over
// 0, 1, 7, 10 and 60000 examples, and the exact index sequences of LibTorch 1.13 — pasted from the
// output of tests/reference/distributed_samplers.cpp, a LibTorch program — plus hand-worked cases.
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <xgrad/data.hpp>

#include <algorithm>
#include <map>
#include <string>

using namespace xgrad;
using namespace xgrad::data;
using Indices = std::vector<size_t>;
using Batches = std::vector<Indices>;

namespace {

Batches drain(samplers::Sampler<>& s, size_t batch) {
  Batches out;
  while (auto b = s.next(batch)) out.push_back(*b);
  return out;
}

Indices flatten(const Batches& v) {
  Indices out;
  for (auto& b : v) out.insert(out.end(), b.begin(), b.end());
  return out;
}

// LibTorch's per-rank count, worked out here independently of the sampler's local_sample_count().
size_t expected_count(size_t size, size_t n, bool dup) {
  if (dup) return size / n + (size % n != 0 ? 1 : 0);
  return size / n;
}

// The whole epoch: rank 0's shard, then rank 1's, ... each from its own sampler object.
template <typename S>
Indices all_ranks(size_t size, size_t n, bool dup, size_t epoch, size_t batch) {
  Indices out;
  for (size_t r = 0; r < n; ++r) {
    S s(size, n, r, dup);
    s.set_epoch(epoch);
    s.reset();
    const Indices shard = flatten(drain(s, batch));
    BOOST_TEST_INFO("size " << size << ", " << n << " replicas, rank " << r << ", duplicates " << dup);
    BOOST_TEST(shard.size() == expected_count(size, n, dup));
    out.insert(out.end(), shard.begin(), shard.end());
  }
  return out;
}

// How often each index must occur over all ranks: with duplicates, positions 0 .. n*count - 1 of
// the list hold index (position mod size), so the first (n*count - size) indices appear twice
// (more when the padding is longer than the dataset); without, indices 0 .. n*count - 1 once each
// and the tail of size mod n never.
std::map<size_t, size_t> expected_multiset(size_t size, size_t n, bool dup) {
  std::map<size_t, size_t> m;
  const size_t total = n * expected_count(size, n, dup);
  for (size_t p = 0; p < total; ++p) ++m[p % size];
  return m;
}

std::map<size_t, size_t> multiset(const Indices& v) {
  std::map<size_t, size_t> m;
  for (size_t i : v) ++m[i];
  return m;
}

// Rank shards, pairwise: true when no index is in two of them.
bool disjoint(const Indices& all) {
  const auto m = multiset(all);
  return std::all_of(m.begin(), m.end(), [](const auto& kv) { return kv.second == 1; });
}

template <typename S>
void check_geometry(size_t size, size_t n, bool dup, size_t epoch) {
  const Indices all = all_ranks<S>(size, n, dup, epoch, 7);
  BOOST_TEST_INFO("size " << size << ", " << n << " replicas, duplicates " << dup << ", epoch " << epoch);
  BOOST_TEST(std::all_of(all.begin(), all.end(), [&](size_t i) { return i < size; }));
  BOOST_TEST((multiset(all) == expected_multiset(size, n, dup)));
  if (dup) {
    // Every example is seen in the epoch.
    const auto m = multiset(all);
    BOOST_TEST(m.size() == size);
  }
  if (!dup || size % n == 0) BOOST_TEST(disjoint(all));
  if (dup && size % n != 0 && size > 0) BOOST_TEST(!disjoint(all));  // the padding repeats
}

struct SequentialCase {
  size_t size, num_replicas, rank;
  bool allow_duplicates;
  Batches batches;
};

struct RandomCase {
  size_t size, num_replicas, rank;
  bool allow_duplicates;
  size_t epoch;
  Batches batches;
};

struct BigRandomCase {
  size_t num_replicas, rank;
  bool allow_duplicates;
  Indices first8;
  size_t count;
  unsigned long long checksum;
};

bool names(const ValueError& e, std::initializer_list<std::string> parts) {
  const std::string what = e.what();
  for (const auto& p : parts)
    if (what.find(p) == std::string::npos) {
      BOOST_TEST_MESSAGE("message lacks '" << p << "': " << what);
      return false;
    }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sequential_by_hand) {
  // 10 examples over 3 replicas: 4 each, padded with 0, 1.
  samplers::DistributedSequentialSampler r0(10, 3, 0), r1(10, 3, 1), r2(10, 3, 2);
  BOOST_TEST(r1.local_sample_count() == 4u);
  BOOST_TEST(r1.index() == 4u);  // LibTorch's index(): position in the whole epoch's list
  BOOST_TEST(flatten(drain(r0, 3)) == (Indices{0, 1, 2, 3}), boost::test_tools::per_element());
  const Batches b1 = drain(r1, 3);
  BOOST_REQUIRE_EQUAL(b1.size(), 2u);
  BOOST_TEST(b1[0] == (Indices{4, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(b1[1] == (Indices{7}), boost::test_tools::per_element());
  BOOST_TEST(r1.index() == 8u);
  BOOST_TEST(flatten(drain(r2, 3)) == (Indices{8, 9, 0, 1}), boost::test_tools::per_element());
  // Without duplicates: 3 each, index 9 never.
  samplers::DistributedSequentialSampler d2(10, 3, 2, false);
  BOOST_TEST(flatten(drain(d2, 5)) == (Indices{6, 7, 8}), boost::test_tools::per_element());
  // Fewer examples than replicas: every rank still gets one, wrapping to 0.
  samplers::DistributedSequentialSampler tiny(2, 5, 4);
  BOOST_TEST(flatten(drain(tiny, 5)) == (Indices{0}), boost::test_tools::per_element());
  samplers::DistributedSequentialSampler none(2, 5, 4, false);
  BOOST_TEST(!none.next(5).has_value());
  // One replica is the plain SequentialSampler.
  samplers::DistributedSequentialSampler one(5);
  BOOST_TEST(drain(one, 2) == (Batches{{0, 1}, {2, 3}, {4}}));
  BOOST_TEST(!one.next(0).has_value());
  one.reset();
  BOOST_TEST(!one.next(0).has_value());  // next(0) is nullopt, not an endless empty batch
  BOOST_TEST(one.next(1).has_value());
}

BOOST_AUTO_TEST_CASE(random_by_hand) {
  // The list is a permutation of 0 .. 9 plus padding 0, 1; all three ranks agree on it.
  const Indices all = all_ranks<samplers::DistributedRandomSampler>(10, 3, true, 0, 4);
  BOOST_TEST((multiset(all) == std::map<size_t, size_t>{{0, 2}, {1, 2}, {2, 1}, {3, 1}, {4, 1}, {5, 1},
                                                          {6, 1}, {7, 1}, {8, 1}, {9, 1}}));
  samplers::DistributedRandomSampler s(10, 3, 2);
  BOOST_TEST(s.epoch() == 0u);
  BOOST_TEST(s.index() == 8u);
  BOOST_TEST(flatten(drain(s, 3)) == Indices(all.begin() + 8, all.end()), boost::test_tools::per_element());
  BOOST_TEST(s.index() == 12u);
}

BOOST_AUTO_TEST_CASE(geometry_for_1_to_5_replicas) {
  for (size_t size : {0, 1, 7, 10, 60000})
    for (size_t n = 1; n <= 5; ++n)
      for (bool dup : {true, false}) {
        check_geometry<samplers::DistributedSequentialSampler>(size, n, dup, 0);
        for (size_t epoch : {0, 1, 9}) check_geometry<samplers::DistributedRandomSampler>(size, n, dup, epoch);
      }
}

BOOST_AUTO_TEST_CASE(sequential_equals_libtorch) {
  // {size, num_replicas, rank, allow_duplicates, batches of 3}, from LibTorch 1.13.
  const std::vector<SequentialCase> cases = {
    {0, 1, 0, true, {}},
    {0, 1, 0, false, {}},
    {0, 2, 0, true, {}},
    {0, 2, 1, true, {}},
    {0, 2, 0, false, {}},
    {0, 2, 1, false, {}},
    {0, 3, 0, true, {}},
    {0, 3, 1, true, {}},
    {0, 3, 2, true, {}},
    {0, 3, 0, false, {}},
    {0, 3, 1, false, {}},
    {0, 3, 2, false, {}},
    {0, 4, 0, true, {}},
    {0, 4, 1, true, {}},
    {0, 4, 2, true, {}},
    {0, 4, 3, true, {}},
    {0, 4, 0, false, {}},
    {0, 4, 1, false, {}},
    {0, 4, 2, false, {}},
    {0, 4, 3, false, {}},
    {0, 5, 0, true, {}},
    {0, 5, 1, true, {}},
    {0, 5, 2, true, {}},
    {0, 5, 3, true, {}},
    {0, 5, 4, true, {}},
    {0, 5, 0, false, {}},
    {0, 5, 1, false, {}},
    {0, 5, 2, false, {}},
    {0, 5, 3, false, {}},
    {0, 5, 4, false, {}},
    {1, 1, 0, true, {{0}}},
    {1, 1, 0, false, {{0}}},
    {1, 2, 0, true, {{0}}},
    {1, 2, 1, true, {{0}}},
    {1, 2, 0, false, {}},
    {1, 2, 1, false, {}},
    {1, 3, 0, true, {{0}}},
    {1, 3, 1, true, {{0}}},
    {1, 3, 2, true, {{0}}},
    {1, 3, 0, false, {}},
    {1, 3, 1, false, {}},
    {1, 3, 2, false, {}},
    {1, 4, 0, true, {{0}}},
    {1, 4, 1, true, {{0}}},
    {1, 4, 2, true, {{0}}},
    {1, 4, 3, true, {{0}}},
    {1, 4, 0, false, {}},
    {1, 4, 1, false, {}},
    {1, 4, 2, false, {}},
    {1, 4, 3, false, {}},
    {1, 5, 0, true, {{0}}},
    {1, 5, 1, true, {{0}}},
    {1, 5, 2, true, {{0}}},
    {1, 5, 3, true, {{0}}},
    {1, 5, 4, true, {{0}}},
    {1, 5, 0, false, {}},
    {1, 5, 1, false, {}},
    {1, 5, 2, false, {}},
    {1, 5, 3, false, {}},
    {1, 5, 4, false, {}},
    {7, 1, 0, true, {{0, 1, 2}, {3, 4, 5}, {6}}},
    {7, 1, 0, false, {{0, 1, 2}, {3, 4, 5}, {6}}},
    {7, 2, 0, true, {{0, 1, 2}, {3}}},
    {7, 2, 1, true, {{4, 5, 6}, {0}}},
    {7, 2, 0, false, {{0, 1, 2}}},
    {7, 2, 1, false, {{3, 4, 5}}},
    {7, 3, 0, true, {{0, 1, 2}}},
    {7, 3, 1, true, {{3, 4, 5}}},
    {7, 3, 2, true, {{6, 0, 1}}},
    {7, 3, 0, false, {{0, 1}}},
    {7, 3, 1, false, {{2, 3}}},
    {7, 3, 2, false, {{4, 5}}},
    {7, 4, 0, true, {{0, 1}}},
    {7, 4, 1, true, {{2, 3}}},
    {7, 4, 2, true, {{4, 5}}},
    {7, 4, 3, true, {{6, 0}}},
    {7, 4, 0, false, {{0}}},
    {7, 4, 1, false, {{1}}},
    {7, 4, 2, false, {{2}}},
    {7, 4, 3, false, {{3}}},
    {7, 5, 0, true, {{0, 1}}},
    {7, 5, 1, true, {{2, 3}}},
    {7, 5, 2, true, {{4, 5}}},
    {7, 5, 3, true, {{6, 0}}},
    {7, 5, 4, true, {{1, 2}}},
    {7, 5, 0, false, {{0}}},
    {7, 5, 1, false, {{1}}},
    {7, 5, 2, false, {{2}}},
    {7, 5, 3, false, {{3}}},
    {7, 5, 4, false, {{4}}},
    {10, 1, 0, true, {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}}},
    {10, 1, 0, false, {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}}},
    {10, 2, 0, true, {{0, 1, 2}, {3, 4}}},
    {10, 2, 1, true, {{5, 6, 7}, {8, 9}}},
    {10, 2, 0, false, {{0, 1, 2}, {3, 4}}},
    {10, 2, 1, false, {{5, 6, 7}, {8, 9}}},
    {10, 3, 0, true, {{0, 1, 2}, {3}}},
    {10, 3, 1, true, {{4, 5, 6}, {7}}},
    {10, 3, 2, true, {{8, 9, 0}, {1}}},
    {10, 3, 0, false, {{0, 1, 2}}},
    {10, 3, 1, false, {{3, 4, 5}}},
    {10, 3, 2, false, {{6, 7, 8}}},
    {10, 4, 0, true, {{0, 1, 2}}},
    {10, 4, 1, true, {{3, 4, 5}}},
    {10, 4, 2, true, {{6, 7, 8}}},
    {10, 4, 3, true, {{9, 0, 1}}},
    {10, 4, 0, false, {{0, 1}}},
    {10, 4, 1, false, {{2, 3}}},
    {10, 4, 2, false, {{4, 5}}},
    {10, 4, 3, false, {{6, 7}}},
    {10, 5, 0, true, {{0, 1}}},
    {10, 5, 1, true, {{2, 3}}},
    {10, 5, 2, true, {{4, 5}}},
    {10, 5, 3, true, {{6, 7}}},
    {10, 5, 4, true, {{8, 9}}},
    {10, 5, 0, false, {{0, 1}}},
    {10, 5, 1, false, {{2, 3}}},
    {10, 5, 2, false, {{4, 5}}},
    {10, 5, 3, false, {{6, 7}}},
    {10, 5, 4, false, {{8, 9}}},
  };
  BOOST_REQUIRE_EQUAL(cases.size(), 4u * 2u * 15u);
  for (const auto& c : cases) {
    samplers::DistributedSequentialSampler s(c.size, c.num_replicas, c.rank, c.allow_duplicates);
    BOOST_TEST_INFO("size " << c.size << ", " << c.num_replicas << " replicas, rank " << c.rank << ", duplicates "
                            << c.allow_duplicates);
    BOOST_TEST((drain(s, 3) == c.batches));
    s.reset();  // every epoch the same
    BOOST_TEST((drain(s, 3) == c.batches));
  }
}

// std::shuffle's algorithm belongs to the standard library; LibTorch's binary uses libstdc++'s.
#if defined(__GLIBCXX__)
BOOST_AUTO_TEST_CASE(random_equals_libtorch) {
  // {size, num_replicas, rank, allow_duplicates, epoch, batches of 4}, from LibTorch 1.13 (cases
  // where LibTorch's padding goes out of range are not among them; see padding_longer_than_dataset).
  const std::vector<RandomCase> cases = {
    {0, 1, 0, true, 0, {}},
    {0, 1, 0, true, 1, {}},
    {0, 1, 0, true, 5, {}},
    {0, 1, 0, false, 0, {}},
    {0, 1, 0, false, 1, {}},
    {0, 1, 0, false, 5, {}},
    {0, 2, 0, true, 0, {}},
    {0, 2, 1, true, 0, {}},
    {0, 2, 0, true, 1, {}},
    {0, 2, 1, true, 1, {}},
    {0, 2, 0, true, 5, {}},
    {0, 2, 1, true, 5, {}},
    {0, 2, 0, false, 0, {}},
    {0, 2, 1, false, 0, {}},
    {0, 2, 0, false, 1, {}},
    {0, 2, 1, false, 1, {}},
    {0, 2, 0, false, 5, {}},
    {0, 2, 1, false, 5, {}},
    {0, 3, 0, true, 0, {}},
    {0, 3, 1, true, 0, {}},
    {0, 3, 2, true, 0, {}},
    {0, 3, 0, true, 1, {}},
    {0, 3, 1, true, 1, {}},
    {0, 3, 2, true, 1, {}},
    {0, 3, 0, true, 5, {}},
    {0, 3, 1, true, 5, {}},
    {0, 3, 2, true, 5, {}},
    {0, 3, 0, false, 0, {}},
    {0, 3, 1, false, 0, {}},
    {0, 3, 2, false, 0, {}},
    {0, 3, 0, false, 1, {}},
    {0, 3, 1, false, 1, {}},
    {0, 3, 2, false, 1, {}},
    {0, 3, 0, false, 5, {}},
    {0, 3, 1, false, 5, {}},
    {0, 3, 2, false, 5, {}},
    {0, 4, 0, true, 0, {}},
    {0, 4, 1, true, 0, {}},
    {0, 4, 2, true, 0, {}},
    {0, 4, 3, true, 0, {}},
    {0, 4, 0, true, 1, {}},
    {0, 4, 1, true, 1, {}},
    {0, 4, 2, true, 1, {}},
    {0, 4, 3, true, 1, {}},
    {0, 4, 0, true, 5, {}},
    {0, 4, 1, true, 5, {}},
    {0, 4, 2, true, 5, {}},
    {0, 4, 3, true, 5, {}},
    {0, 4, 0, false, 0, {}},
    {0, 4, 1, false, 0, {}},
    {0, 4, 2, false, 0, {}},
    {0, 4, 3, false, 0, {}},
    {0, 4, 0, false, 1, {}},
    {0, 4, 1, false, 1, {}},
    {0, 4, 2, false, 1, {}},
    {0, 4, 3, false, 1, {}},
    {0, 4, 0, false, 5, {}},
    {0, 4, 1, false, 5, {}},
    {0, 4, 2, false, 5, {}},
    {0, 4, 3, false, 5, {}},
    {0, 5, 0, true, 0, {}},
    {0, 5, 1, true, 0, {}},
    {0, 5, 2, true, 0, {}},
    {0, 5, 3, true, 0, {}},
    {0, 5, 4, true, 0, {}},
    {0, 5, 0, true, 1, {}},
    {0, 5, 1, true, 1, {}},
    {0, 5, 2, true, 1, {}},
    {0, 5, 3, true, 1, {}},
    {0, 5, 4, true, 1, {}},
    {0, 5, 0, true, 5, {}},
    {0, 5, 1, true, 5, {}},
    {0, 5, 2, true, 5, {}},
    {0, 5, 3, true, 5, {}},
    {0, 5, 4, true, 5, {}},
    {0, 5, 0, false, 0, {}},
    {0, 5, 1, false, 0, {}},
    {0, 5, 2, false, 0, {}},
    {0, 5, 3, false, 0, {}},
    {0, 5, 4, false, 0, {}},
    {0, 5, 0, false, 1, {}},
    {0, 5, 1, false, 1, {}},
    {0, 5, 2, false, 1, {}},
    {0, 5, 3, false, 1, {}},
    {0, 5, 4, false, 1, {}},
    {0, 5, 0, false, 5, {}},
    {0, 5, 1, false, 5, {}},
    {0, 5, 2, false, 5, {}},
    {0, 5, 3, false, 5, {}},
    {0, 5, 4, false, 5, {}},
    {1, 1, 0, true, 0, {{0}}},
    {1, 1, 0, true, 1, {{0}}},
    {1, 1, 0, true, 5, {{0}}},
    {1, 1, 0, false, 0, {{0}}},
    {1, 1, 0, false, 1, {{0}}},
    {1, 1, 0, false, 5, {{0}}},
    {1, 2, 0, true, 0, {{0}}},
    {1, 2, 1, true, 0, {{0}}},
    {1, 2, 0, true, 1, {{0}}},
    {1, 2, 1, true, 1, {{0}}},
    {1, 2, 0, true, 5, {{0}}},
    {1, 2, 1, true, 5, {{0}}},
    {1, 2, 0, false, 0, {}},
    {1, 2, 1, false, 0, {}},
    {1, 2, 0, false, 1, {}},
    {1, 2, 1, false, 1, {}},
    {1, 2, 0, false, 5, {}},
    {1, 2, 1, false, 5, {}},
    {1, 3, 0, false, 0, {}},
    {1, 3, 1, false, 0, {}},
    {1, 3, 2, false, 0, {}},
    {1, 3, 0, false, 1, {}},
    {1, 3, 1, false, 1, {}},
    {1, 3, 2, false, 1, {}},
    {1, 3, 0, false, 5, {}},
    {1, 3, 1, false, 5, {}},
    {1, 3, 2, false, 5, {}},
    {1, 4, 0, false, 0, {}},
    {1, 4, 1, false, 0, {}},
    {1, 4, 2, false, 0, {}},
    {1, 4, 3, false, 0, {}},
    {1, 4, 0, false, 1, {}},
    {1, 4, 1, false, 1, {}},
    {1, 4, 2, false, 1, {}},
    {1, 4, 3, false, 1, {}},
    {1, 4, 0, false, 5, {}},
    {1, 4, 1, false, 5, {}},
    {1, 4, 2, false, 5, {}},
    {1, 4, 3, false, 5, {}},
    {1, 5, 0, false, 0, {}},
    {1, 5, 1, false, 0, {}},
    {1, 5, 2, false, 0, {}},
    {1, 5, 3, false, 0, {}},
    {1, 5, 4, false, 0, {}},
    {1, 5, 0, false, 1, {}},
    {1, 5, 1, false, 1, {}},
    {1, 5, 2, false, 1, {}},
    {1, 5, 3, false, 1, {}},
    {1, 5, 4, false, 1, {}},
    {1, 5, 0, false, 5, {}},
    {1, 5, 1, false, 5, {}},
    {1, 5, 2, false, 5, {}},
    {1, 5, 3, false, 5, {}},
    {1, 5, 4, false, 5, {}},
    {7, 1, 0, true, 0, {{2, 4, 6, 0}, {5, 1, 3}}},
    {7, 1, 0, true, 1, {{1, 0, 6, 3}, {5, 4, 2}}},
    {7, 1, 0, true, 5, {{3, 6, 0, 1}, {2, 5, 4}}},
    {7, 1, 0, false, 0, {{2, 4, 6, 0}, {5, 1, 3}}},
    {7, 1, 0, false, 1, {{1, 0, 6, 3}, {5, 4, 2}}},
    {7, 1, 0, false, 5, {{3, 6, 0, 1}, {2, 5, 4}}},
    {7, 2, 0, true, 0, {{0, 2, 1, 5}}},
    {7, 2, 1, true, 0, {{3, 6, 4, 0}}},
    {7, 2, 0, true, 1, {{1, 0, 2, 5}}},
    {7, 2, 1, true, 1, {{0, 4, 6, 3}}},
    {7, 2, 0, true, 5, {{3, 0, 5, 2}}},
    {7, 2, 1, true, 5, {{4, 6, 0, 1}}},
    {7, 2, 0, false, 0, {{0, 2, 1}}},
    {7, 2, 1, false, 0, {{5, 3, 4}}},
    {7, 2, 0, false, 1, {{1, 0, 2}}},
    {7, 2, 1, false, 1, {{5, 3, 4}}},
    {7, 2, 0, false, 5, {{3, 0, 5}}},
    {7, 2, 1, false, 5, {{2, 4, 1}}},
    {7, 3, 0, true, 0, {{2, 4, 6}}},
    {7, 3, 1, true, 0, {{0, 5, 1}}},
    {7, 3, 2, true, 0, {{1, 3, 0}}},
    {7, 3, 0, true, 1, {{1, 0, 6}}},
    {7, 3, 1, true, 1, {{3, 1, 4}}},
    {7, 3, 2, true, 1, {{2, 0, 5}}},
    {7, 3, 0, true, 5, {{3, 6, 0}}},
    {7, 3, 1, true, 5, {{1, 2, 1}}},
    {7, 3, 2, true, 5, {{0, 4, 5}}},
    {7, 3, 0, false, 0, {{0, 2}}},
    {7, 3, 1, false, 0, {{1, 5}}},
    {7, 3, 2, false, 0, {{3, 4}}},
    {7, 3, 0, false, 1, {{1, 0}}},
    {7, 3, 1, false, 1, {{2, 5}}},
    {7, 3, 2, false, 1, {{3, 4}}},
    {7, 3, 0, false, 5, {{3, 0}}},
    {7, 3, 1, false, 5, {{5, 2}}},
    {7, 3, 2, false, 5, {{4, 1}}},
    {7, 4, 0, true, 0, {{0, 2}}},
    {7, 4, 1, true, 0, {{1, 5}}},
    {7, 4, 2, true, 0, {{3, 6}}},
    {7, 4, 3, true, 0, {{4, 0}}},
    {7, 4, 0, true, 1, {{1, 0}}},
    {7, 4, 1, true, 1, {{2, 5}}},
    {7, 4, 2, true, 1, {{0, 4}}},
    {7, 4, 3, true, 1, {{6, 3}}},
    {7, 4, 0, true, 5, {{3, 0}}},
    {7, 4, 1, true, 5, {{5, 2}}},
    {7, 4, 2, true, 5, {{4, 6}}},
    {7, 4, 3, true, 5, {{0, 1}}},
    {7, 4, 0, false, 0, {{0}}},
    {7, 4, 1, false, 0, {{2}}},
    {7, 4, 2, false, 0, {{1}}},
    {7, 4, 3, false, 0, {{3}}},
    {7, 4, 0, false, 1, {{1}}},
    {7, 4, 1, false, 1, {{0}}},
    {7, 4, 2, false, 1, {{2}}},
    {7, 4, 3, false, 1, {{3}}},
    {7, 4, 0, false, 5, {{3}}},
    {7, 4, 1, false, 5, {{0}}},
    {7, 4, 2, false, 5, {{1}}},
    {7, 4, 3, false, 5, {{2}}},
    {7, 5, 0, true, 0, {{0, 2}}},
    {7, 5, 1, true, 0, {{1, 5}}},
    {7, 5, 2, true, 0, {{2, 1}}},
    {7, 5, 3, true, 0, {{4, 0}}},
    {7, 5, 4, true, 0, {{6, 3}}},
    {7, 5, 0, true, 1, {{2, 0}}},
    {7, 5, 1, true, 1, {{2, 5}}},
    {7, 5, 2, true, 1, {{0, 4}}},
    {7, 5, 3, true, 1, {{6, 3}}},
    {7, 5, 4, true, 1, {{1, 1}}},
    {7, 5, 0, true, 5, {{3, 1}}},
    {7, 5, 1, true, 5, {{5, 2}}},
    {7, 5, 2, true, 5, {{4, 6}}},
    {7, 5, 3, true, 5, {{0, 1}}},
    {7, 5, 4, true, 5, {{2, 0}}},
    {7, 5, 0, false, 0, {{2}}},
    {7, 5, 1, false, 0, {{4}}},
    {7, 5, 2, false, 0, {{3}}},
    {7, 5, 3, false, 0, {{0}}},
    {7, 5, 4, false, 0, {{1}}},
    {7, 5, 0, false, 1, {{1}}},
    {7, 5, 1, false, 1, {{0}}},
    {7, 5, 2, false, 1, {{2}}},
    {7, 5, 3, false, 1, {{3}}},
    {7, 5, 4, false, 1, {{4}}},
    {7, 5, 0, false, 5, {{3}}},
    {7, 5, 1, false, 5, {{4}}},
    {7, 5, 2, false, 5, {{0}}},
    {7, 5, 3, false, 5, {{1}}},
    {7, 5, 4, false, 5, {{2}}},
    {10, 1, 0, true, 0, {{0, 2, 1, 5}, {9, 8, 4, 7}, {6, 3}}},
    {10, 1, 0, true, 1, {{9, 0, 2, 5}, {7, 4, 6, 3}, {1, 8}}},
    {10, 1, 0, true, 5, {{3, 8, 5, 2}, {4, 6, 7, 1}, {9, 0}}},
    {10, 1, 0, false, 0, {{0, 2, 1, 5}, {9, 8, 4, 7}, {6, 3}}},
    {10, 1, 0, false, 1, {{9, 0, 2, 5}, {7, 4, 6, 3}, {1, 8}}},
    {10, 1, 0, false, 5, {{3, 8, 5, 2}, {4, 6, 7, 1}, {9, 0}}},
    {10, 2, 0, true, 0, {{0, 2, 1, 5}, {9}}},
    {10, 2, 1, true, 0, {{8, 4, 7, 6}, {3}}},
    {10, 2, 0, true, 1, {{9, 0, 2, 5}, {7}}},
    {10, 2, 1, true, 1, {{4, 6, 3, 1}, {8}}},
    {10, 2, 0, true, 5, {{3, 8, 5, 2}, {4}}},
    {10, 2, 1, true, 5, {{6, 7, 1, 9}, {0}}},
    {10, 2, 0, false, 0, {{0, 2, 1, 5}, {9}}},
    {10, 2, 1, false, 0, {{8, 4, 7, 6}, {3}}},
    {10, 2, 0, false, 1, {{9, 0, 2, 5}, {7}}},
    {10, 2, 1, false, 1, {{4, 6, 3, 1}, {8}}},
    {10, 2, 0, false, 5, {{3, 8, 5, 2}, {4}}},
    {10, 2, 1, false, 5, {{6, 7, 1, 9}, {0}}},
    {10, 3, 0, true, 0, {{0, 2, 1, 5}}},
    {10, 3, 1, true, 0, {{9, 1, 4, 7}}},
    {10, 3, 2, true, 0, {{6, 0, 3, 8}}},
    {10, 3, 0, true, 1, {{9, 0, 2, 5}}},
    {10, 3, 1, true, 1, {{1, 4, 6, 3}}},
    {10, 3, 2, true, 1, {{1, 8, 0, 7}}},
    {10, 3, 0, true, 5, {{1, 8, 5, 2}}},
    {10, 3, 1, true, 5, {{0, 6, 7, 1}}},
    {10, 3, 2, true, 5, {{9, 0, 4, 3}}},
    {10, 3, 0, false, 0, {{2, 4, 6}}},
    {10, 3, 1, false, 0, {{0, 5, 1}}},
    {10, 3, 2, false, 0, {{8, 3, 7}}},
    {10, 3, 0, false, 1, {{1, 0, 6}}},
    {10, 3, 1, false, 1, {{3, 8, 4}}},
    {10, 3, 2, false, 1, {{2, 7, 5}}},
    {10, 3, 0, false, 5, {{3, 6, 0}}},
    {10, 3, 1, false, 5, {{1, 2, 8}}},
    {10, 3, 2, false, 5, {{7, 4, 5}}},
    {10, 4, 0, true, 0, {{0, 2, 1}}},
    {10, 4, 1, true, 0, {{5, 9, 1}}},
    {10, 4, 2, true, 0, {{4, 7, 6}}},
    {10, 4, 3, true, 0, {{0, 3, 8}}},
    {10, 4, 0, true, 1, {{9, 0, 2}}},
    {10, 4, 1, true, 1, {{5, 1, 4}}},
    {10, 4, 2, true, 1, {{6, 3, 1}}},
    {10, 4, 3, true, 1, {{8, 0, 7}}},
    {10, 4, 0, true, 5, {{1, 8, 5}}},
    {10, 4, 1, true, 5, {{2, 0, 6}}},
    {10, 4, 2, true, 5, {{7, 1, 9}}},
    {10, 4, 3, true, 5, {{0, 4, 3}}},
    {10, 4, 0, false, 0, {{0, 2}}},
    {10, 4, 1, false, 0, {{1, 5}}},
    {10, 4, 2, false, 0, {{3, 6}}},
    {10, 4, 3, false, 0, {{4, 7}}},
    {10, 4, 0, false, 1, {{1, 0}}},
    {10, 4, 1, false, 1, {{2, 5}}},
    {10, 4, 2, false, 1, {{7, 4}}},
    {10, 4, 3, false, 1, {{6, 3}}},
    {10, 4, 0, false, 5, {{3, 0}}},
    {10, 4, 1, false, 5, {{5, 2}}},
    {10, 4, 2, false, 5, {{4, 6}}},
    {10, 4, 3, false, 5, {{7, 1}}},
    {10, 5, 0, true, 0, {{0, 2}}},
    {10, 5, 1, true, 0, {{1, 5}}},
    {10, 5, 2, true, 0, {{9, 8}}},
    {10, 5, 3, true, 0, {{4, 7}}},
    {10, 5, 4, true, 0, {{6, 3}}},
    {10, 5, 0, true, 1, {{9, 0}}},
    {10, 5, 1, true, 1, {{2, 5}}},
    {10, 5, 2, true, 1, {{7, 4}}},
    {10, 5, 3, true, 1, {{6, 3}}},
    {10, 5, 4, true, 1, {{1, 8}}},
    {10, 5, 0, true, 5, {{3, 8}}},
    {10, 5, 1, true, 5, {{5, 2}}},
    {10, 5, 2, true, 5, {{4, 6}}},
    {10, 5, 3, true, 5, {{7, 1}}},
    {10, 5, 4, true, 5, {{9, 0}}},
    {10, 5, 0, false, 0, {{0, 2}}},
    {10, 5, 1, false, 0, {{1, 5}}},
    {10, 5, 2, false, 0, {{9, 8}}},
    {10, 5, 3, false, 0, {{4, 7}}},
    {10, 5, 4, false, 0, {{6, 3}}},
    {10, 5, 0, false, 1, {{9, 0}}},
    {10, 5, 1, false, 1, {{2, 5}}},
    {10, 5, 2, false, 1, {{7, 4}}},
    {10, 5, 3, false, 1, {{6, 3}}},
    {10, 5, 4, false, 1, {{1, 8}}},
    {10, 5, 0, false, 5, {{3, 8}}},
    {10, 5, 1, false, 5, {{5, 2}}},
    {10, 5, 2, false, 5, {{4, 6}}},
    {10, 5, 3, false, 5, {{7, 1}}},
    {10, 5, 4, false, 5, {{9, 0}}},
  };
  BOOST_REQUIRE_EQUAL(cases.size(), 324u);
  for (const auto& c : cases) {
    manual_seed(c.rank + 100);  // the global generator plays no part
    samplers::DistributedRandomSampler s(c.size, c.num_replicas, c.rank, c.allow_duplicates);
    s.set_epoch(c.epoch);
    s.reset();
    BOOST_TEST_INFO("size " << c.size << ", " << c.num_replicas << " replicas, rank " << c.rank << ", duplicates "
                            << c.allow_duplicates << ", epoch " << c.epoch);
    BOOST_TEST((drain(s, 4) == c.batches));
    s.reset();  // same epoch, same order
    BOOST_TEST((drain(s, 4) == c.batches));
  }
}

BOOST_AUTO_TEST_CASE(random_60000_equals_libtorch) {
  // {num_replicas, rank, allow_duplicates, first 8 indices, shard length, sum (i+1) * index_i},
  // epoch 3, from LibTorch 1.13.
  const std::vector<BigRandomCase> cases = {
    {3, 0, true, {48940, 44971, 46390, 20515, 58745, 47867, 20679, 33926}, 20000, 5970487774198ull},
    {3, 1, true, {55954, 54626, 20381, 42647, 24613, 39642, 2170, 23028}, 20000, 6020146864804ull},
    {3, 2, true, {37225, 18051, 3854, 47574, 54487, 2643, 50395, 31053}, 20000, 5994131107960ull},
    {3, 0, false, {48940, 44971, 46390, 20515, 58745, 47867, 20679, 33926}, 20000, 5970487774198ull},
    {3, 1, false, {55954, 54626, 20381, 42647, 24613, 39642, 2170, 23028}, 20000, 6020146864804ull},
    {3, 2, false, {37225, 18051, 3854, 47574, 54487, 2643, 50395, 31053}, 20000, 5994131107960ull},
    {4, 0, true, {48940, 44971, 46390, 20515, 58745, 47867, 20679, 33926}, 15000, 3360891989729ull},
    {4, 1, true, {50606, 45742, 8851, 58647, 6466, 38162, 57795, 5703}, 15000, 3368530625568ull},
    {4, 2, true, {17020, 4332, 55135, 58603, 31803, 39512, 2246, 9599}, 15000, 3408448599487ull},
    {4, 3, true, {53295, 13635, 25970, 56040, 2160, 435, 22502, 35978}, 15000, 3369281222178ull},
    {4, 0, false, {48940, 44971, 46390, 20515, 58745, 47867, 20679, 33926}, 15000, 3360891989729ull},
    {4, 1, false, {50606, 45742, 8851, 58647, 6466, 38162, 57795, 5703}, 15000, 3368530625568ull},
    {4, 2, false, {17020, 4332, 55135, 58603, 31803, 39512, 2246, 9599}, 15000, 3408448599487ull},
    {4, 3, false, {53295, 13635, 25970, 56040, 2160, 435, 22502, 35978}, 15000, 3369281222178ull},
    {7, 0, true, {48940, 44971, 46390, 20515, 58745, 47867, 20679, 33926}, 8572, 1103853736762ull},
    {7, 1, true, {38463, 5170, 28383, 21139, 10156, 27467, 2041, 50235}, 8572, 1086425238893ull},
    {7, 2, true, {27935, 6470, 18303, 59548, 9921, 13710, 57550, 46713}, 8572, 1095181065613ull},
    {7, 3, true, {40595, 56138, 22416, 13842, 33191, 37479, 17276, 44114}, 8572, 1101889271464ull},
    {7, 4, true, {51632, 22557, 12513, 26282, 48932, 16286, 28319, 59858}, 8572, 1117648806790ull},
    {7, 5, true, {40005, 39851, 4869, 19928, 18981, 32202, 8810, 58980}, 8572, 1106707516532ull},
    {7, 6, true, {44908, 18134, 45192, 42224, 37644, 29635, 8150, 47430}, 8572, 1103061517539ull},
    {7, 0, false, {48689, 30392, 46063, 4174, 56483, 21810, 37766, 33795}, 8571, 1096840123295ull},
    {7, 1, false, {3653, 13092, 12288, 26628, 54419, 44723, 50284, 3759}, 8571, 1102675487386ull},
    {7, 2, false, {47409, 11004, 22776, 10299, 22650, 43592, 23809, 47529}, 8571, 1105606780196ull},
    {7, 3, false, {13229, 5931, 47817, 40424, 3087, 45532, 20205, 5934}, 8571, 1099919564370ull},
    {7, 4, false, {17871, 8553, 1373, 32209, 44912, 39358, 915, 49399}, 8571, 1096901967308ull},
    {7, 5, false, {35670, 23568, 15413, 10150, 29814, 58254, 45084, 54519}, 8571, 1091020550769ull},
    {7, 6, false, {50709, 30602, 12277, 46821, 48320, 58294, 27871, 59001}, 8571, 1115077924457ull},
  };
  for (const auto& c : cases) {
    samplers::DistributedRandomSampler s(60000, c.num_replicas, c.rank, c.allow_duplicates);
    s.set_epoch(3);
    s.reset();
    const Indices shard = flatten(drain(s, 1000));
    BOOST_TEST_INFO(c.num_replicas << " replicas, rank " << c.rank << ", duplicates " << c.allow_duplicates);
    BOOST_REQUIRE_EQUAL(shard.size(), c.count);
    BOOST_TEST(Indices(shard.begin(), shard.begin() + 8) == c.first8, boost::test_tools::per_element());
    unsigned long long sum = 0;
    for (size_t i = 0; i < shard.size(); ++i) sum += (i + 1) * static_cast<unsigned long long>(shard[i]);
    BOOST_TEST(sum == c.checksum);
  }
}

BOOST_AUTO_TEST_CASE(reset_scenario_equals_libtorch) {
  samplers::DistributedRandomSampler r(10, 3, 2);
  BOOST_TEST((drain(r, 2) == Batches{{6, 0}, {3, 8}}));
  r.set_epoch(2);  // takes effect at the next reset, not mid-epoch
  BOOST_TEST(r.epoch() == 2u);
  BOOST_TEST(drain(r, 2).empty());
  r.reset();
  BOOST_TEST((drain(r, 2) == Batches{{7, 9}, {0, 4}}));
  r.reset(7);  // 7 examples over 3 replicas: 3 each, padding 0, 1
  BOOST_TEST((drain(r, 2) == Batches{{0, 0}, {1}}));
}
#endif

BOOST_AUTO_TEST_CASE(sequential_reset_scenario_equals_libtorch) {
  samplers::DistributedSequentialSampler q(10, 3, 1);
  BOOST_TEST((drain(q, 2) == Batches{{4, 5}, {6, 7}}));
  q.reset(7);
  BOOST_TEST((drain(q, 2) == Batches{{3, 4}, {5}}));
  q.reset();
  BOOST_TEST((drain(q, 5) == Batches{{3, 4, 5}}));
}

BOOST_AUTO_TEST_CASE(random_order_depends_on_epoch_only) {
  for (size_t size : {10, 60000})
    for (size_t n : {1, 3}) {
      const Indices e0 = all_ranks<samplers::DistributedRandomSampler>(size, n, true, 0, 64);
      manual_seed(12345);
      const Indices again = all_ranks<samplers::DistributedRandomSampler>(size, n, true, 0, 5);
      const Indices e1 = all_ranks<samplers::DistributedRandomSampler>(size, n, true, 1, 64);
      BOOST_TEST_INFO("size " << size << ", " << n << " replicas");
      BOOST_TEST(e0 == again, boost::test_tools::per_element());  // batch size and global seed do not matter
      BOOST_TEST(e0 != e1);                                       // a new epoch, a new order
      Indices sorted = e0;
      std::sort(sorted.begin(), sorted.end());
      BOOST_TEST(sorted != e0);  // shuffled
    }
  // Rank objects built at different times, after other draws, agree on the epoch's list: rank 1's
  // shard is the same whichever object computes it.
  samplers::DistributedRandomSampler a(100, 4, 1);
  a.set_epoch(5);
  a.reset();
  const Indices sa = flatten(drain(a, 10));
  (void)xgrad::randn({3});
  samplers::DistributedRandomSampler b(100, 4, 1);
  b.set_epoch(5);
  b.reset();
  BOOST_TEST(flatten(drain(b, 9)) == sa, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(padding_longer_than_dataset) {
  // 1 example over 3 replicas: LibTorch's random sampler pads with index 1 (see the reference
  // program's comment line); xgrad wraps to 0, like the sequential sampler.
  for (size_t epoch : {0, 1, 2})
    for (size_t r = 0; r < 3; ++r) {
      samplers::DistributedRandomSampler s(1, 3, r);
      s.set_epoch(epoch);
      s.reset();
      BOOST_TEST(flatten(drain(s, 4)) == (Indices{0}), boost::test_tools::per_element());
    }
  // 2 examples over 5 replicas: 0, 1, 0, 1, 0 in some order.
  const Indices all = all_ranks<samplers::DistributedRandomSampler>(2, 5, true, 4, 3);
  BOOST_TEST((multiset(all) == std::map<size_t, size_t>{{0, 3}, {1, 2}}));
}

BOOST_AUTO_TEST_CASE(data_loader_yields_the_shard) {
  auto ds = TensorDataset(xgrad::arange(10.0).reshape({10, 1}), xgrad::arange(10));
  auto targets = [](auto& loader) {
    std::vector<std::vector<int64_t>> out;
    for (auto& batch : loader) out.push_back(batch.target.template to_vector<int64_t>());
    return out;
  };
  using T = std::vector<std::vector<int64_t>>;
  auto seq = make_data_loader(ds, samplers::DistributedSequentialSampler(10, 3, 2), 3);
  BOOST_TEST((targets(*seq) == T{{8, 9, 0}, {1}}));
  BOOST_TEST((targets(*seq) == T{{8, 9, 0}, {1}}));  // the loader resets: same shard next epoch
  for (auto& b : *seq) {
    testing::check_values(b.data, {8, 9, 0});
    break;
  }
  // make_data_loader<Sampler>(dataset) builds Sampler(size): one replica, the whole dataset.
  auto whole = make_data_loader<samplers::DistributedSequentialSampler>(ds, DataLoaderOptions().batch_size(4));
  BOOST_TEST((targets(*whole) == T{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}));
#if defined(__GLIBCXX__)
  // Epoch 2, rank 2 of 3 (LibTorch's indices from the reset scenario), with and without workers.
  for (size_t workers : {0, 2}) {
    samplers::DistributedRandomSampler s(10, 3, 2);
    s.set_epoch(2);
    s.reset();
    auto rnd = make_data_loader(ds, std::move(s), DataLoaderOptions().batch_size(2).workers(workers));
    BOOST_TEST((targets(*rnd) == T{{7, 9}, {0, 4}}));
    BOOST_TEST((targets(*rnd) == T{{7, 9}, {0, 4}}));  // reset keeps the epoch
  }
#endif
  // drop_last drops a rank's short last batch, as for any sampler.
  auto dropping = make_data_loader(ds, samplers::DistributedSequentialSampler(10, 3, 1),
                                   DataLoaderOptions().batch_size(3).drop_last(true));
  BOOST_TEST((targets(*dropping) == T{{4, 5, 6}}));
}

BOOST_AUTO_TEST_CASE(argument_errors) {
  BOOST_CHECK_EXCEPTION(samplers::DistributedRandomSampler(10, 0, 0), ValueError, [](const ValueError& e) {
    return names(e, {"DistributedRandomSampler", "num_replicas", "got 0"});
  });
  BOOST_CHECK_EXCEPTION(samplers::DistributedSequentialSampler(10, 0), ValueError, [](const ValueError& e) {
    return names(e, {"DistributedSequentialSampler", "num_replicas"});
  });
  BOOST_CHECK_EXCEPTION(samplers::DistributedRandomSampler(10, 2, 2), ValueError, [](const ValueError& e) {
    return names(e, {"DistributedRandomSampler", "rank 2", "num_replicas 2"});
  });
  BOOST_CHECK_EXCEPTION(samplers::DistributedSequentialSampler(10, 4, 7, false), ValueError,
                        [](const ValueError& e) { return names(e, {"DistributedSequentialSampler", "rank 7", "num_replicas 4"}); });
  // The base class names itself.
  using Base = samplers::DistributedSampler<>;
  struct Concrete : Base {
    using Base::Base;
    void reset(std::optional<size_t>) override {}
    std::optional<Indices> next(size_t) override { return std::nullopt; }
  };
  BOOST_CHECK_EXCEPTION(Concrete(5, 1, 1), ValueError,
                        [](const ValueError& e) { return names(e, {"DistributedSampler", "rank 1", "num_replicas 1"}); });
  // Size 0 is allowed: every rank's shard is empty.
  samplers::DistributedRandomSampler empty(0, 3, 2);
  BOOST_TEST(!empty.next(4).has_value());
}
