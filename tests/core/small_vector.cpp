#define BOOST_TEST_MODULE small_vector
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <xgrad/small_vector.hpp>

#include <vector>

// SmallVector / DimVector (include/xgrad/small_vector.hpp): inline up to N, heap beyond, the
// same values either way, and assignments from a view of itself.

using namespace xgrad;
using V3 = SmallVector<int64_t, 3>;

BOOST_AUTO_TEST_CASE(inline_then_heap_keep_values) {
  V3 v;
  BOOST_TEST(v.empty());
  for (int64_t i = 0; i < 3; ++i) v.push_back(i * 10);
  BOOST_TEST(v.capacity() == 3u);  // still inline
  for (int64_t i = 3; i < 40; ++i) v.push_back(i * 10);
  BOOST_TEST(v.size() == 40u);
  for (size_t i = 0; i < v.size(); ++i) BOOST_TEST(v[i] == static_cast<int64_t>(i) * 10);
  BOOST_TEST((v == std::vector<int64_t>(v.begin(), v.end())));
  v.pop_back();
  BOOST_TEST(v.back() == 380);
}

BOOST_AUTO_TEST_CASE(copies_and_moves_are_independent) {
  V3 small{1, 2};
  V3 big{1, 2, 3, 4, 5, 6};
  V3 a = small, b = big;
  a[0] = 9;
  b[0] = 9;
  BOOST_TEST(small[0] == 1);
  BOOST_TEST(big[0] == 1);
  V3 c = std::move(b);  // steals the heap buffer
  BOOST_TEST(c.size() == 6u);
  BOOST_TEST(c[0] == 9);
  BOOST_TEST(b.empty());
  V3 d = std::move(a);  // copies the inline elements
  BOOST_TEST((d == V3{9, 2}));
  d = big;
  BOOST_TEST((d == big));
  d = V3{7};
  BOOST_TEST((d == IntArrayRef({7})));
}

BOOST_AUTO_TEST_CASE(assigning_a_view_of_itself) {
  V3 v{1, 2, 3, 4, 5};
  v = IntArrayRef(v.data() + 1, 3);  // a suffix of itself
  BOOST_TEST((v == V3{2, 3, 4}));
  v = IntArrayRef(v);  // all of itself
  BOOST_TEST((v == V3{2, 3, 4}));
  V3 w{1, 2};
  w.resize(8, w[1]);  // the value lives in the vector that grows
  BOOST_TEST((w == V3{1, 2, 2, 2, 2, 2, 2, 2}));
  w.push_back(w[0]);
  BOOST_TEST(w.back() == 1);
}

BOOST_AUTO_TEST_CASE(insert_erase_and_conversions) {
  V3 v{1, 3};
  v.insert(v.begin() + 1, 2);
  v.insert(v.end(), 4);
  BOOST_TEST((v == V3{1, 2, 3, 4}));
  v.erase(v.begin());
  BOOST_TEST((v == std::vector<int64_t>{2, 3, 4}));
  const IntArrayRef r = v;
  BOOST_TEST(r.size() == 3u);
  BOOST_TEST(r[2] == 4);
  BOOST_TEST((V3(4, 7) == V3{7, 7, 7, 7}));  // count and value, not an iterator pair
}

// A tensor's sizes live in a DimVector: views and reshapes of any rank report the same sizes.
BOOST_AUTO_TEST_CASE(tensor_metadata_of_any_rank) {
  auto t = zeros({2, 1, 3, 1, 2, 1, 2});  // 7 dimensions: past the inline capacity of 5
  BOOST_TEST(t.dim() == 7);
  BOOST_TEST((t.sizes() == IntArrayRef({2, 1, 3, 1, 2, 1, 2})));
  BOOST_TEST((t.strides() == IntArrayRef({12, 12, 4, 4, 2, 2, 1})));
  auto u = t.reshape({24});
  BOOST_TEST((u.sizes() == IntArrayRef({24})));
  auto w = t.permute({6, 5, 4, 3, 2, 1, 0});
  BOOST_TEST((w.sizes() == IntArrayRef({2, 1, 2, 1, 3, 1, 2})));
  BOOST_TEST((t.shape() == std::vector<int64_t>{2, 1, 3, 1, 2, 1, 2}));
}
