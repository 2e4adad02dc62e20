#define BOOST_TEST_MODULE distributed_ddp
#include <boost/test/unit_test.hpp>

#include <xgrad/xgrad.hpp>

#include "support/bad_input.hpp"

#include <cmath>

// DistributedDataParallel under `mpirun -np 2`: construction makes every rank rank 0's model;
// after backward each rank holds the mean of all ranks' gradients (checked against gradients
// computed without DDP on a copy of the model and gathered by hand), in both modes and with
// several buckets; unused parameters; no_sync; buffers broadcast before forward. Whole runs
// compared across world sizes are in run_ddp.py.

using namespace xgrad;
namespace dist = xgrad::distributed;
namespace F = xgrad::nn::functional;
using nn::parallel::DistributedDataParallel;
using nn::parallel::DistributedDataParallelOptions;

namespace {

struct Group {
  Group() {
    dist::init_process_group("mpi", dist::ProcessGroupOptions().timeout(std::chrono::seconds(60)));
    set_num_threads(1);
  }
  ~Group() { dist::destroy_process_group(); }
};

int64_t rank() { return dist::get_rank(); }
int64_t world() { return dist::get_world_size(); }

struct NetImpl : nn::Module {
  explicit NetImpl(bool extra = false) {
    conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(1, 3, 3)));
    bn = register_module("bn", nn::BatchNorm2d(3));
    fc = register_module("fc", nn::Linear(3 * 4 * 4, 2));
    if (extra) unused = register_module("unused", nn::Linear(2, 2));
  }
  Tensor forward(const Tensor& x) { return fc(relu(bn(conv(x))).flatten(1)); }
  nn::Conv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
  nn::Linear fc{nullptr};
  nn::Linear unused{nullptr};
};
XGRAD_MODULE(Net);

// Rank-dependent data: 4 images of 6x6 and their classes.
std::pair<Tensor, Tensor> data_of(int64_t r, int64_t salt = 0) {
  auto x = sin(arange(4 * 36, TensorOptions().dtype(kFloat32)) * (0.3 + 0.1 * static_cast<double>(r + salt))).reshape({4, 1, 6, 6});
  auto y = from_vector(std::vector<int64_t>{r % 2, 1, 0, (r + salt + 1) % 2});
  return {x, y};
}

// The gradients of a copy of `model` (same weights and buffers) on rank r's data, without DDP.
std::vector<Tensor> local_grads(const Net& model, int64_t r, int64_t salt = 0) {
  Net copy;
  copy->load_state_dict(model->state_dict());
  auto [x, y] = data_of(r, salt);
  F::cross_entropy(copy(x), y).backward();
  std::vector<Tensor> g;
  for (auto& p : copy->parameters()) g.push_back(p.grad().clone());
  return g;
}

// The mean over ranks of each rank's local gradients.
std::vector<Tensor> mean_over_ranks(const std::vector<Tensor>& mine) {
  std::vector<Tensor> out;
  for (auto& g : mine) {
    std::vector<Tensor> all;
    dist::all_gather(all, g.contiguous());
    Tensor s = zeros_like(g);
    for (auto& a : all) s = s + a;
    out.push_back(s / static_cast<double>(world()));
  }
  return out;
}

double max_diff(const Tensor& a, const Tensor& b) { return (a - b).abs().max().item<double>(); }

// The call throws an E whose message contains `part` (tests/support/bad_input.hpp).
template <typename E>
void expect_error(const std::function<void()>& f, const std::string& part) {
  xgrad::testing::expect_error<E>(f, {part});
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(Group);

BOOST_AUTO_TEST_CASE(construction_broadcasts_rank_zero_model) {
  manual_seed(100 + static_cast<uint64_t>(rank()));
  Net net;
  DistributedDataParallel<Net> ddp(net);
  for (auto& p : ddp->parameters()) {
    std::vector<Tensor> all;
    dist::all_gather(all, p.detach().contiguous());
    for (auto& a : all) BOOST_TEST(equal(a, all[0]));
  }
  // The wrapped module is registered as "module", as in PyTorch.
  BOOST_TEST(ddp->named_parameters().contains("module.conv.weight"));
  BOOST_TEST(ddp->module()->fc->weight.is_same(net->fc->weight));
}

BOOST_AUTO_TEST_CASE(fast_mode_gives_the_mean_of_all_ranks_gradients) {
  for (double cap_mb : {25.0, 0.0001}) {  // one bucket; then one bucket per parameter
    manual_seed(5);
    Net net;
    DistributedDataParallel<Net> ddp(net, DistributedDataParallelOptions().reproducible(false).bucket_cap_mb(cap_mb));
    if (cap_mb < 1) BOOST_TEST(ddp->bucket_sizes().size() > 2);
    auto expected = mean_over_ranks(local_grads(net, rank()));
    auto [x, y] = data_of(rank());
    F::cross_entropy(ddp(x), y).backward();
    auto params = ddp->parameters();
    for (size_t i = 0; i < params.size(); ++i) BOOST_TEST(max_diff(params[i].grad(), expected[i]) < 1e-6);
    // A second step: grads accumulate as usual before the reduction.
    ddp->zero_grad();
    F::cross_entropy(ddp(x), y).backward();
    for (size_t i = 0; i < params.size(); ++i) BOOST_TEST(max_diff(params[i].grad(), expected[i]) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(reproducible_mode_gives_the_mean_over_micro_batches) {
  manual_seed(6);
  Net net;
  // Two micro-batches per rank: salts 0 and 1 stand for the two parts.
  DistributedDataParallel<Net> ddp(net, DistributedDataParallelOptions().micro_batches(2 * world()));
  BOOST_TEST(ddp->micro_batches() == 2 * world());
  BOOST_TEST(ddp->local_micro_batches() == (std::vector<int64_t>{2 * rank(), 2 * rank() + 1}));
  auto g0 = local_grads(net, rank(), 0);
  auto g1 = local_grads(net, rank(), 1);
  std::vector<Tensor> both;
  for (size_t i = 0; i < g0.size(); ++i) both.push_back((g0[i] + g1[i]) / 2.0);
  auto expected = mean_over_ranks(both);
  ddp->zero_grad();
  for (int64_t salt : {0, 1}) {
    auto [x, y] = data_of(rank(), salt);
    F::cross_entropy(ddp(x), y).backward();
    // Between micro-batches .grad is cleared: the part's gradient is kept by the reducer.
    if (salt == 0) BOOST_TEST(!ddp->parameters()[0].grad().defined());
  }
  auto params = ddp->parameters();
  for (size_t i = 0; i < params.size(); ++i) BOOST_TEST(max_diff(params[i].grad(), expected[i]) < 1e-6);
  // Identical bits on every rank.
  for (auto& p : params) {
    std::vector<Tensor> all;
    dist::all_gather(all, p.grad());
    BOOST_TEST(equal(all[0], all.back()));
  }
}

BOOST_AUTO_TEST_CASE(unused_parameters) {
  manual_seed(8);
  Net net(true);
  {
    DistributedDataParallel<Net> ddp(net, DistributedDataParallelOptions().reproducible(false));
    auto [x, y] = data_of(rank());
    expect_error<DistributedError>([&] { F::cross_entropy(ddp(x), y).backward(); }, "unused.weight, unused.bias");
  }
  net->zero_grad(true);
  DistributedDataParallel<Net> ddp(
      net, DistributedDataParallelOptions().reproducible(false).find_unused_parameters(true));
  auto [x, y] = data_of(rank());
  F::cross_entropy(ddp(x), y).backward();
  BOOST_TEST(net->unused->weight.grad().abs().sum().item<double>() == 0.0);
  BOOST_TEST(net->fc->weight.grad().abs().sum().item<double>() > 0.0);
}

BOOST_AUTO_TEST_CASE(no_sync_accumulates_locally) {
  manual_seed(9);
  Net net;
  DistributedDataParallel<Net> ddp(net, DistributedDataParallelOptions().reproducible(false));
  auto a = local_grads(net, rank(), 0);
  auto b = local_grads(net, rank(), 1);
  std::vector<Tensor> sum;
  for (size_t i = 0; i < a.size(); ++i) sum.push_back(a[i] + b[i]);
  auto expected = mean_over_ranks(sum);
  {
    auto guard = ddp->no_sync();
    auto [x, y] = data_of(rank(), 0);
    F::cross_entropy(ddp(x), y).backward();
    // Not reduced yet: this rank's own gradient.
    BOOST_TEST(max_diff(ddp->parameters()[0].grad(), a[0]) < 1e-6);
  }
  auto [x, y] = data_of(rank(), 1);
  F::cross_entropy(ddp(x), y).backward();
  auto params = ddp->parameters();
  for (size_t i = 0; i < params.size(); ++i) BOOST_TEST(max_diff(params[i].grad(), expected[i]) < 1e-6);

  DistributedDataParallel<Net> repro(net);
  expect_error<DistributedError>([&] { auto g = repro->no_sync(); }, "fast mode");
}

BOOST_AUTO_TEST_CASE(buffers_are_rank_zeros_at_each_forward) {
  manual_seed(10);
  Net net;
  DistributedDataParallel<Net> ddp(net);
  std::vector<Tensor> seen;
  auto handle = net->bn->register_forward_pre_hook([&](nn::Module& m, const Tensor&) {
    seen.push_back(m.named_buffers()["running_mean"].clone());
  });
  for (int step = 0; step < 3; ++step) {
    auto [x, y] = data_of(rank(), step);
    ddp(x);  // different data per rank: the running means diverge after each forward...
  }
  handle.remove();
  for (auto& s : seen) {  // ...but each forward starts from rank 0's
    std::vector<Tensor> all;
    dist::all_gather(all, s);
    BOOST_TEST(equal(all[0], all.back()));
  }
  std::vector<Tensor> after;
  dist::all_gather(after, net->bn->named_buffers()["running_mean"].clone());
  BOOST_TEST(!equal(after[0], after.back()));
}

BOOST_AUTO_TEST_CASE(bad_options) {
  Net net;
  expect_error<ValueError>([&] { DistributedDataParallel<Net>(net, DistributedDataParallelOptions().micro_batches(world() + 1)); },
                           "multiple of the world size");
  expect_error<ValueError>([&] { DistributedDataParallel<Net>(net, DistributedDataParallelOptions().bucket_cap_mb(0)); },
                           "bucket_cap_mb");
}
