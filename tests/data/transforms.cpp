#define BOOST_TEST_MODULE data_transforms
#include <boost/test/unit_test.hpp>

#include "data/idx_files.hpp"
#include "support/testing.hpp"

#include <xgrad/data.hpp>

// Normalize and Stack by hand, the other transforms, and the fast MNIST -> Normalize -> Stack
// path against the per-example path LibTorch takes (bit for bit).

using namespace xgrad;
using namespace xgrad::data;
using datasets::MNIST;
using xgrad::testing::check_sizes;
using xgrad::testing::check_values;
using xgrad::testing::TempDir;

BOOST_AUTO_TEST_CASE(normalize_scalar_by_hand) {
  transforms::Normalize<> n(0.25, 0.5);
  check_sizes(n.mean, {1, 1, 1});
  Example<> e{xgrad::tensor({{{0.0, 0.25, 1.0}}}), xgrad::tensor(int64_t{4})};
  Example<> out = n.apply(e);
  check_values(out.data, {-0.5, 0.0, 1.5}, 0, 0);  // (x - 0.25) / 0.5
  BOOST_TEST(out.target.item<int64_t>() == 4);
}

BOOST_AUTO_TEST_CASE(normalize_per_channel_by_hand) {
  transforms::Normalize<> n({0.5, 1.0, -1.0}, {0.5, 2.0, 4.0});
  check_sizes(n.mean, {3, 1, 1});
  // [3, 1, 2]: channel c holds {c, c + 1}
  const Tensor x = xgrad::tensor({{{0.0, 1.0}}, {{1.0, 2.0}}, {{2.0, 3.0}}});
  check_values(n(x), {-1.0, 1.0, 0.0, 0.5, 0.75, 1.0}, 0, 0);
}

BOOST_AUTO_TEST_CASE(normalize_rejects_bad_constants) {
  using N = transforms::Normalize<>;
  BOOST_CHECK_THROW(N(std::vector<double>{}, 1.0), ValueError);
  BOOST_CHECK_THROW(N(0.5, 0.0), ValueError);
  BOOST_CHECK_THROW(N(0.5, 1e-60), ValueError);  // 0 in float32
  BOOST_CHECK_THROW(N({0.1, 0.2}, {1.0, 1.0, 1.0}), ValueError);
  BOOST_CHECK_THROW(N(std::nan(""), 1.0), ValueError);
  BOOST_CHECK_NO_THROW(N({0.1, 0.2, 0.3}, 1.0));
}

BOOST_AUTO_TEST_CASE(stack_shapes_and_values) {
  std::vector<Example<>> batch;
  for (int i = 0; i < 3; ++i) batch.push_back({xgrad::full({1, 2, 2}, double(i)), xgrad::tensor(int64_t{10 + i})});
  Example<> s = transforms::Stack<>().apply_batch(batch);
  check_sizes(s.data, {3, 1, 2, 2});
  check_sizes(s.target, {3});
  check_values(s.target, {10, 11, 12});
  check_values(s.data[2], {2, 2, 2, 2});
  std::vector<TensorExample> plain = {xgrad::ones({4}), xgrad::zeros({4})};
  TensorExample t = transforms::Stack<TensorExample>().apply_batch(plain);
  check_sizes(t.data, {2, 4});
  BOOST_CHECK_THROW(transforms::Stack<>().apply_batch({}), ValueError);
  std::vector<Example<>> ragged = {{xgrad::ones({2}), xgrad::tensor(int64_t{0})},
                                   {xgrad::ones({3}), xgrad::tensor(int64_t{1})}};
  BOOST_CHECK_THROW(transforms::Stack<>().apply_batch(ragged), ShapeError);
}

BOOST_AUTO_TEST_CASE(lambdas_and_collate) {
  transforms::TensorLambda<> twice([](Tensor x) { return x * 2.0; });
  check_values(twice.apply({xgrad::tensor({1.0, 2.0}), xgrad::tensor(int64_t{0})}).data, {2, 4});
  transforms::Lambda<Example<>> swap([](Example<> e) { return Example<>{e.target, e.data}; });
  Example<> s = swap.apply({xgrad::tensor({1.0}), xgrad::tensor({5.0})});
  check_values(s.data, {5});
  transforms::Collate<Example<>> first([](std::vector<Example<>> b) { return b.front(); });
  Example<> f = first.apply_batch({{xgrad::tensor({7.0}), xgrad::tensor({8.0})}, {xgrad::tensor({9.0}), xgrad::tensor({1.0})}});
  check_values(f.data, {7});
  transforms::BatchLambda<std::vector<Example<>>, size_t> count([](std::vector<Example<>> b) { return b.size(); });
  BOOST_TEST(count.apply_batch(std::vector<Example<>>(4)) == 4u);
}

namespace {

// What LibTorch computes: every example through the transforms, then stack.
Example<> per_example(MNIST& ds, const std::vector<size_t>& idx, std::vector<transforms::Normalize<>> ns) {
  std::vector<Example<>> ex;
  for (size_t i : idx) {
    Example<> e = ds.get(i);
    for (auto& n : ns) e = n.apply(e);
    ex.push_back(e);
  }
  return transforms::Stack<>().apply_batch(ex);
}

}  // namespace

// The chains that take the row-gather path, and one that cannot.
static_assert(data::detail::StackedSource<MNIST>);
static_assert(data::detail::StackedSource<datasets::MapDataset<MNIST, transforms::Normalize<>>>);
static_assert(data::detail::StackedSource<
              datasets::MapDataset<datasets::MapDataset<MNIST, transforms::Normalize<>>, transforms::Normalize<>>>);
static_assert(!data::detail::StackedSource<datasets::MapDataset<MNIST, transforms::TensorLambda<>>>);

BOOST_AUTO_TEST_CASE(fast_path_equals_per_example_path) {
  TempDir dir;
  xgrad::testing::write_mnist(dir, 20, /*gz=*/false);
  MNIST ds(dir.path.string());
  const std::vector<size_t> idx = {3, 0, 19, 7, 7, 12};
  transforms::Normalize<> n1(0.2860, 0.3530), n2(-0.1, 3.0);

  auto one = ds.map(n1).map(transforms::Stack<>());
  Example<> fast = one.get_batch(idx);
  Example<> slow = per_example(ds, idx, {n1});
  check_sizes(fast.data, {6, 1, 28, 28});
  BOOST_TEST(xgrad::equal(fast.data, slow.data));
  BOOST_TEST(xgrad::equal(fast.target, slow.target));
  // By hand: image 3, pixel 0 is 21/255.
  const float expected = (21.0f / 255.0f - 0.2860f) / 0.3530f;
  BOOST_TEST(fast.data.to_vector<float>()[0] == expected);

  auto two = ds.map(n1).map(n2).map(transforms::Stack<>());
  BOOST_TEST(xgrad::equal(two.get_batch(idx).data, per_example(ds, idx, {n1, n2}).data));

  // Any kernel thread count gives the same bits (rows are spread over threads in blocks).
  const int64_t threads = get_num_threads();
  for (int64_t t : {1, 2, 3}) {
    set_num_threads(t);
    std::vector<size_t> many(100);
    for (size_t i = 0; i < many.size(); ++i) many[i] = (i * 7) % 20;
    BOOST_TEST(xgrad::equal(one.get_batch(many).data, per_example(ds, many, {n1}).data));
  }
  set_num_threads(threads);

  // Stack directly over MNIST (no Normalize).
  auto plain = ds.map(transforms::Stack<>());
  BOOST_TEST(xgrad::equal(plain.get_batch(idx).data, per_example(ds, idx, {}).data));

  // The per-example batch of a Normalize map is still LibTorch's vector of examples.
  std::vector<Example<>> v = ds.map(n1).get_batch(idx);
  BOOST_TEST(v.size() == 6u);
  BOOST_TEST(xgrad::equal(v[2].data, slow.data[2]));
}

BOOST_AUTO_TEST_CASE(normalize_that_broadcasts_takes_the_per_example_path) {
  TempDir dir;
  xgrad::testing::write_mnist(dir, 5, /*gz=*/false);
  MNIST ds(dir.path.string());
  // Three channel means over 1-channel images broadcast each [1, 28, 28] to [3, 28, 28] in
  // LibTorch; the row gather cannot do that, so the result must come from the per-example path.
  transforms::Normalize<> n({0.1, 0.2, 0.3}, {1.0, 1.0, 1.0});
  auto mapped = ds.map(n).map(transforms::Stack<>());
  Example<> b = mapped.get_batch({1, 4});
  check_sizes(b.data, {2, 3, 28, 28});
  BOOST_TEST(xgrad::equal(b.data, per_example(ds, {1, 4}, {n}).data));
  // A Normalize whose public mean was replaced by a non-[C, 1, 1] tensor also falls back.
  transforms::Normalize<> odd(0.5, 1.0);
  odd.mean = xgrad::full({1}, 0.5);
  BOOST_TEST(xgrad::equal(ds.map(odd).map(transforms::Stack<>()).get_batch({0, 2}).data,
                          per_example(ds, {0, 2}, {odd}).data));
}

BOOST_AUTO_TEST_CASE(tensor_lambda_in_the_chain) {
  TempDir dir;
  xgrad::testing::write_mnist(dir, 4, /*gz=*/false);
  MNIST ds(dir.path.string());
  auto mapped = ds.map(transforms::TensorLambda<>([](Tensor x) { return x.flatten(); })).map(transforms::Stack<>());
  Example<> b = mapped.get_batch({0, 3});
  check_sizes(b.data, {2, 784});
  BOOST_TEST(xgrad::equal(b.data[1], ds.images()[3].flatten()));
}
