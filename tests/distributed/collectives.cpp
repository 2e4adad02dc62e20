#define BOOST_TEST_MODULE distributed_collectives
#include <boost/test/unit_test.hpp>

#include <xgrad/xgrad.hpp>

#include "support/bad_input.hpp"

#include <cmath>

// xgrad::distributed under `mpirun -np N` (N >= 2; tests/distributed/meson.build runs 2 and 3):
// every collective against values worked out by hand from the ranks' inputs, ranks that
// disagree (shape, dtype, operation) get an error on every rank, and bad tensors are refused
// before anything is sent. Every rank runs every test case, in the same order.

using namespace xgrad;
namespace dist = xgrad::distributed;

namespace {

struct Group {
  Group() { dist::init_process_group("mpi", dist::ProcessGroupOptions().timeout(std::chrono::seconds(60))); }
  ~Group() { dist::destroy_process_group(); }
};

int64_t rank() { return dist::get_rank(); }
int64_t world() { return dist::get_world_size(); }

std::vector<double> values(const Tensor& t) { return t.to(kFloat64).contiguous().to_vector<double>(); }

// The call throws an E whose message contains `part` (tests/support/bad_input.hpp).
template <typename E>
void expect_error(const std::function<void()>& f, const std::string& part) {
  xgrad::testing::expect_error<E>(f, {part});
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(Group);

BOOST_AUTO_TEST_CASE(rank_and_world) {
  BOOST_TEST(dist::is_available());
  BOOST_TEST(dist::is_initialized());
  BOOST_TEST(world() >= 2);
  BOOST_TEST(rank() >= 0);
  BOOST_TEST(rank() < world());
  BOOST_TEST(dist::get_backend() == "mpi");
  // Ranks are distinct: their sum is 0 + 1 + ... + (N - 1).
  auto t = full({1}, static_cast<double>(rank()), TensorOptions().dtype(kInt64));
  dist::all_reduce(t);
  BOOST_TEST(t.item<int64_t>() == world() * (world() - 1) / 2);
}

BOOST_AUTO_TEST_CASE(all_reduce_ops_float32) {
  const double r = static_cast<double>(rank()), n = static_cast<double>(world());
  // Rank r contributes [r + 1, -(r + 1), 2^r].
  auto make = [&] { return from_vector(std::vector<float>{float(r + 1), float(-(r + 1)), float(std::pow(2.0, r))}); };
  auto sum = make();
  dist::all_reduce(sum, dist::ReduceOp::SUM);
  const double tri = n * (n + 1) / 2;
  BOOST_TEST(values(sum) == (std::vector<double>{tri, -tri, std::pow(2.0, n) - 1}), boost::test_tools::per_element());
  auto avg = make();
  dist::all_reduce(avg, dist::ReduceOp::AVG);
  BOOST_TEST(values(avg)[0] == tri / n, boost::test_tools::tolerance(1e-6));
  auto mx = make();
  dist::all_reduce(mx, dist::ReduceOp::MAX);
  BOOST_TEST(values(mx) == (std::vector<double>{n, -1, std::pow(2.0, n - 1)}), boost::test_tools::per_element());
  auto mn = make();
  dist::all_reduce(mn, dist::ReduceOp::MIN);
  BOOST_TEST(values(mn) == (std::vector<double>{1, -n, 1}), boost::test_tools::per_element());
  auto prod = make();
  dist::all_reduce(prod, dist::ReduceOp::PRODUCT);
  double fact = 1;
  for (int k = 1; k <= world(); ++k) fact *= k;
  BOOST_TEST(values(prod)[0] == fact);
  BOOST_TEST(values(prod)[2] == std::pow(2.0, n * (n - 1) / 2));
}

BOOST_AUTO_TEST_CASE(all_reduce_float64_int64_and_views) {
  auto d = full({2, 3}, 0.25 * static_cast<double>(rank() + 1), TensorOptions().dtype(kFloat64));
  dist::all_reduce(d);
  const double n = static_cast<double>(world());
  for (double v : values(d)) BOOST_TEST(v == 0.25 * n * (n + 1) / 2);
  auto i = full({4}, static_cast<double>(rank() * 1000000000LL), TensorOptions().dtype(kInt64));
  dist::all_reduce(i, dist::ReduceOp::MAX);
  BOOST_TEST(i[0].item<int64_t>() == (world() - 1) * 1000000000LL);
  // A contiguous view of a larger tensor: only the view's elements change.
  auto base = zeros({3, 4});
  auto row = base[1];
  row.fill_(1.0);
  dist::all_reduce(row);
  BOOST_TEST(values(base[1]) == std::vector<double>(4, n), boost::test_tools::per_element());
  BOOST_TEST(values(base[0]) == std::vector<double>(4, 0.0), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(async_all_reduce) {
  auto t = full({1000}, static_cast<double>(rank() + 1));
  auto work = dist::all_reduce_async(t, dist::ReduceOp::SUM);
  work.wait();
  BOOST_TEST(work.is_completed());
  const double n = static_cast<double>(world());
  BOOST_TEST(values(t)[999] == n * (n + 1) / 2);
}

BOOST_AUTO_TEST_CASE(broadcast_from_each_rank) {
  for (int64_t src = 0; src < world(); ++src) {
    auto t = full({5}, static_cast<double>(10 * rank() + 1));
    dist::broadcast(t, src);
    BOOST_TEST(values(t) == std::vector<double>(5, static_cast<double>(10 * src + 1)),
               boost::test_tools::per_element());
  }
  expect_error<ValueError>([] { auto t = zeros({1}); dist::broadcast(t, world()); }, "src must be a rank");
}

BOOST_AUTO_TEST_CASE(all_gather_in_rank_order) {
  auto mine = from_vector(std::vector<double>{static_cast<double>(rank()), static_cast<double>(rank() * rank())});
  std::vector<Tensor> out;
  dist::all_gather(out, mine);
  BOOST_TEST(static_cast<int64_t>(out.size()) == world());
  for (int64_t r = 0; r < world(); ++r)
    BOOST_TEST(values(out[static_cast<size_t>(r)]) ==
                   (std::vector<double>{static_cast<double>(r), static_cast<double>(r * r)}),
               boost::test_tools::per_element());
  // Into preallocated tensors, and into one tensor.
  std::vector<Tensor> pre;
  for (int64_t r = 0; r < world(); ++r) pre.push_back(zeros({2}, TensorOptions().dtype(kFloat64)));
  dist::all_gather(pre, mine);
  BOOST_TEST(values(pre.back())[1] == static_cast<double>((world() - 1) * (world() - 1)));
  auto flat = zeros({world() * 2}, TensorOptions().dtype(kFloat64));
  dist::all_gather_into_tensor(flat, mine);
  BOOST_TEST(values(flat)[2] == 1.0);
  BOOST_TEST(values(flat)[3] == 1.0);
  std::vector<Tensor> wrong(1, zeros({2}, TensorOptions().dtype(kFloat64)));
  expect_error<ShapeError>([&] { dist::all_gather(wrong, mine); }, "world_size");
}

BOOST_AUTO_TEST_CASE(barrier_returns) {
  for (int k = 0; k < 5; ++k) dist::barrier();
  BOOST_TEST(dist::get_timeout().count() == 60000);
}

// Ranks that disagree are told so on every rank, with each rank's call, and the group stays
// usable (the disagreement was found before any data moved).
BOOST_AUTO_TEST_CASE(mismatched_shapes_are_an_error_on_every_rank) {
  auto t = zeros({rank() == 0 ? 3 : 4});
  expect_error<DistributedError>([&] { dist::all_reduce(t); }, "rank 1: all_reduce(SUM) of float32 [4]");
  auto d = zeros({2}, TensorOptions().dtype(rank() == 0 ? kFloat64 : kFloat32));
  expect_error<DistributedError>([&] { dist::broadcast(d, 0); }, "different dtype or shape");
  auto o = ones({2});
  expect_error<DistributedError>([&] { dist::all_reduce(o, rank() == 0 ? dist::ReduceOp::SUM : dist::ReduceOp::MAX); },
                                 "rank 0: all_reduce(SUM)");
  // Still in step afterwards.
  auto ok = ones({2});
  dist::all_reduce(ok);
  BOOST_TEST(values(ok)[0] == static_cast<double>(world()));
}

BOOST_AUTO_TEST_CASE(bad_tensors_are_refused_locally) {
  expect_error<ShapeError>([] { dist::all_reduce(zeros({3, 4}).t()); }, "not contiguous");
  expect_error<TypeError>([] { dist::all_reduce(zeros({2}, TensorOptions().dtype(kBool))); }, "bool");
  expect_error<TypeError>([] { dist::all_reduce(zeros({2}, TensorOptions().dtype(kInt64)), dist::ReduceOp::AVG); },
                          "AVG");
  expect_error<ValueError>([] { dist::all_reduce(Tensor()); }, "undefined");
  expect_error<DistributedError>([] { dist::init_process_group("mpi"); }, "twice");
  expect_error<ValueError>([] { dist::init_process_group("nccl"); }, "use \"mpi\"");
}
