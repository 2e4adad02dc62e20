#define BOOST_TEST_MODULE serialize
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"
#include "serialize/cnn.hpp"
#include "serialize/errors.hpp"
#include "serialize/files.hpp"

#include <cstdlib>
#include <cstring>

// xgrad::save / xgrad::load for modules, holders, tensor maps, tensors, any object with
// state_dict()/load_state_dict(), the random generator, and a combined checkpoint that resumes
// training bit-identically. The PyTorch checkpoint in data/ comes from tests/reference/checkpoint.py.

using namespace xgrad;
namespace nn = xgrad::nn;
using xgrad::testing::CNN;
using xgrad::testing::expect_error;
using xgrad::testing::TempDir;

namespace {

std::filesystem::path data_dir() {
  const char* root = std::getenv("XGRAD_SOURCE_ROOT");
  BOOST_REQUIRE_MESSAGE(root != nullptr, "XGRAD_SOURCE_ROOT is not set (run through meson test)");
  return std::filesystem::path(root) / "tests" / "serialize" / "data";
}

void check_identical(const Tensor& a, const Tensor& b) {
  BOOST_REQUIRE(a.sizes() == b.sizes());
  BOOST_REQUIRE(a.dtype() == b.dtype());
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  BOOST_CHECK(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
}

// An optimizer as the optim engineer writes them (only the members save/load rely on):
// SGD with momentum, its buffers and step count in the state dict.
class Momentum {
 public:
  Momentum(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {}
  void step() {
    NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) {
      if (buffers_.size() <= i) buffers_.push_back(zeros_like(params_[i]));
      buffers_[i].mul_(0.9).add_(params_[i].grad());
      params_[i].sub_(buffers_[i], lr_);
    }
    ++steps_;
  }
  void zero_grad() {
    for (auto& p : params_) p.mutable_grad() = Tensor();
  }
  StateDict state_dict() const {
    StateDict sd;
    for (size_t i = 0; i < buffers_.size(); ++i) sd.tensors.insert("state." + std::to_string(i) + ".momentum_buffer", buffers_[i]);
    sd.metadata["param_groups.0.lr"] = fmt::format("{}", lr_);
    sd.metadata["steps"] = std::to_string(steps_);
    return sd;
  }
  void load_state_dict(const StateDict& sd) {
    BOOST_REQUIRE(!sd.metadata.count("format"));  // load() strips the format keys
    buffers_.clear();
    for (size_t i = 0; sd.tensors.contains("state." + std::to_string(i) + ".momentum_buffer"); ++i)
      buffers_.push_back(sd.tensors["state." + std::to_string(i) + ".momentum_buffer"].clone());
    lr_ = std::stod(sd.metadata.at("param_groups.0.lr"));
    steps_ = std::stoll(sd.metadata.at("steps"));
  }
  std::vector<std::vector<Tensor>> param_groups() const { return {params_}; }
  int64_t steps() const { return steps_; }

 private:
  std::vector<Tensor> params_, buffers_;
  double lr_;
  int64_t steps_ = 0;
};

// A scheduler-like object (get_last_lr) whose state is metadata only.
struct Schedule {
  int64_t last_epoch = 0;
  StateDict state_dict() const {
    StateDict sd;
    sd.metadata["last_epoch"] = std::to_string(last_epoch);
    return sd;
  }
  void load_state_dict(const StateDict& sd) { last_epoch = std::stoll(sd.metadata.at("last_epoch")); }
  std::vector<double> get_last_lr() const { return {0.1}; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(module_round_trip_gives_identical_outputs) {
  TempDir dir;
  manual_seed(11);
  CNN model;
  model->steps.fill_(21);
  save(model, dir / "cnn.safetensors");
  const StateDict raw = load_state_dict_file(dir / "cnn.safetensors");
  BOOST_CHECK_EQUAL(raw.metadata.at("content"), "module");
  BOOST_TEST(raw.tensors.keys() == model->state_dict().tensors.keys(), boost::test_tools::per_element());

  manual_seed(12);
  CNN fresh;
  const auto x = randn({3, 1, 8, 8});
  BOOST_CHECK(fresh(x).to_vector<double>() != model(x).to_vector<double>());
  load(fresh, dir / "cnn.safetensors");
  check_identical(fresh(x), model(x));
  BOOST_CHECK_EQUAL(fresh->steps.item<int64_t>(), 21);
  // Through a shared_ptr and a plain Impl reference too.
  CNN third;
  load(third.ptr(), dir / "cnn.safetensors");
  check_identical(third(x), model(x));
  CNN fourth;
  save(*model, dir / "impl.safetensors");
  load(*fourth, dir / "impl.safetensors", LoadOptions().strict(true));
  check_identical(fourth(x), model(x));
}

BOOST_AUTO_TEST_CASE(loads_a_pytorch_checkpoint_and_matches_pytorch_output) {
  // PyTorch's CNN state_dict, written by tests/reference/checkpoint.py with the numpy writer.
  CNN model;
  load(model, data_dir() / "torch_cnn.safetensors");  // strict
  BOOST_CHECK_EQUAL(model->steps.item<int64_t>(), 7);
  std::map<std::string, Tensor> io;
  load(io, data_dir() / "torch_cnn_io.safetensors");
  testing::check_sizes(io.at("input"), {2, 1, 8, 8});
  Tensor y;
  {
    NoGradGuard no_grad;
    y = model(io.at("input"));
  }
  testing::check_close(y, io.at("output"), 1e-6, 1e-5);
  // tests/reference/checkpoint.py prints output[0]:
  testing::check_values(y.select(0, 0), {-0.13917866349220276, 0.11010262370109558, -0.27613314986228943,
                                         0.37293919920921326, -0.023835264146327972}, 1e-6, 1e-5);
}

BOOST_AUTO_TEST_CASE(wrong_architecture_names_the_file_and_changes_nothing) {
  TempDir dir;
  const auto p = dir / "mlp.safetensors";
  nn::Sequential mlp(nn::Linear(4, 3), nn::ReLU(), nn::Linear(3, 2));
  save(mlp, p);
  nn::Sequential other(nn::Linear(4, 2), nn::ReLU(), nn::Linear(2, 2), nn::Linear(2, 1));
  const Tensor w = other[0]->as<nn::Linear>()->weight.clone();
  expect_error<ValueError>([&] { load(other, p); },
                           {"Error(s) in loading state_dict for Sequential:",
                            "Missing key(s) in state_dict: \"3.weight\", \"3.bias\". ",
                            "size mismatch for 0.weight: copying a param with shape torch.Size([3, 4]) from checkpoint, "
                            "the shape in current model is torch.Size([2, 4]).",
                            "\n(while loading " + p.string() + ")"});
  testing::check_close(other[0]->as<nn::Linear>()->weight, w, 0, 0);
  // Non-strict: still refuses the mis-shaped tensors.
  expect_error<ValueError>([&] { load(other, p, false); }, {"size mismatch for 0.weight"});
  // Loading a file that is not a model checkpoint: a CNN into an MLP.
  CNN cnn;
  save(cnn, dir / "cnn.safetensors");
  expect_error<ValueError>([&] { load(mlp, dir / "cnn.safetensors"); },
                           {"Missing key(s) in state_dict: \"0.weight\"", "Unexpected key(s) in state_dict: \"steps\""});
  // A corrupt or missing file is an IOError before anything is touched.
  testing::write_bytes(dir / "junk.safetensors", "not a checkpoint at all");
  expect_error<IOError>([&] { load(mlp, dir / "junk.safetensors"); }, {(dir / "junk.safetensors").string() + ": "});
  expect_error<IOError>([&] { load(mlp, dir / "absent.safetensors"); }, {"absent.safetensors: cannot open"});
}

BOOST_AUTO_TEST_CASE(tensor_maps_tensors_and_lists) {
  TempDir dir;
  OrderedDict<std::string, Tensor> od;
  od.insert("z", tensor({1.0f, 2.0f}));
  od.insert("a", tensor({int64_t{3}}));
  save(od, dir / "od.safetensors");
  OrderedDict<std::string, Tensor> od_back;
  od_back.insert("stale", ones({1}));
  load(od_back, dir / "od.safetensors");
  BOOST_TEST(od_back.keys() == (std::vector<std::string>{"z", "a"}), boost::test_tools::per_element());
  testing::check_values(od_back["z"], {1, 2});
  BOOST_CHECK_EQUAL(load_state_dict_file(dir / "od.safetensors").metadata.at("content"), "tensors");

  std::map<std::string, Tensor> m{{"b", full({2, 2}, 4.0, kFloat64)}, {"a", tensor({true})}};
  save(m, dir / "m.safetensors");
  std::map<std::string, Tensor> m_back{{"stale", ones({1})}};
  load(m_back, dir / "m.safetensors");
  BOOST_CHECK_EQUAL(m_back.size(), 2u);
  testing::check_values(m_back.at("b"), {4, 4, 4, 4});
  BOOST_CHECK(m_back.at("a").item<bool>());

  const auto t = arange(6, kFloat32).reshape({2, 3}).t();
  save(t, dir / "t.safetensors");
  Tensor t_back;
  load(t_back, dir / "t.safetensors");
  check_identical(t_back, t);
  std::vector<Tensor> list{ones({1}), zeros({0}), full({}, int64_t{5}, kInt64)};
  save(list, dir / "l.safetensors");
  std::vector<Tensor> list_back;
  load(list_back, dir / "l.safetensors");
  BOOST_REQUIRE_EQUAL(list_back.size(), 3u);
  BOOST_CHECK_EQUAL(list_back[2].item<int64_t>(), 5);
  expect_error<IOError>([&] { load(t_back, dir / "l.safetensors"); }, {"holds content 'tensor_list', expected 'tensor'"});
  expect_error<IOError>([&] { load(list_back, dir / "m.safetensors"); }, {"holds content 'tensors', expected 'tensor_list'"});
}

BOOST_AUTO_TEST_CASE(random_generator_state_round_trips) {
  TempDir dir;
  manual_seed(5);
  (void)randn({7});
  save(rng_state_dict(), dir / "rng.safetensors");
  const auto a = randn({100});
  (void)rand({13});
  load_rng_state_dict(load_state_dict_file(dir / "rng.safetensors"));
  check_identical(randn({100}), a);
  BOOST_CHECK_EQUAL(load_state_dict_file(dir / "rng.safetensors").metadata.at("content"), "rng_state");
  expect_error<ValueError>([&] { load_rng_state_dict(StateDict{}); }, {"no 'generator_state' entry"});
  StateDict garbage;
  garbage.metadata["generator_state"] = "not a state";
  expect_error<ValueError>([&] { load_rng_state_dict(garbage); }, {"set_rng_state"});
}

BOOST_AUTO_TEST_CASE(objects_with_state_dict_members) {
  TempDir dir;
  auto w = ones({2}, requires_grad());
  Momentum opt({w}, 0.5);
  (w * w).sum().backward();
  opt.step();
  save(opt, dir / "opt.safetensors");
  BOOST_CHECK_EQUAL(load_state_dict_file(dir / "opt.safetensors").metadata.at("content"), "optimizer");
  Momentum back({w}, 0.0);
  load(back, dir / "opt.safetensors");
  BOOST_CHECK_EQUAL(back.steps(), 1);
  testing::check_values(back.state_dict().tensors["state.0.momentum_buffer"], {2, 2});
  BOOST_CHECK_EQUAL(back.state_dict().metadata.at("param_groups.0.lr"), "0.5");

  Schedule sched{3};
  save(sched, dir / "sched.safetensors");
  BOOST_CHECK_EQUAL(load_state_dict_file(dir / "sched.safetensors").metadata.at("content"), "lr_scheduler");
  Schedule sched_back;
  load(sched_back, dir / "sched.safetensors");
  BOOST_CHECK_EQUAL(sched_back.last_epoch, 3);
}

// Training resumed from one checkpoint file (model + optimizer + scheduler + generator) gives
// bit-identical parameters to training without interruption.
BOOST_AUTO_TEST_CASE(combined_checkpoint_resumes_bit_identically) {
  TempDir dir;
  const auto train = [](CNN& model, Momentum& opt, Schedule& sched, int steps) {
    for (int i = 0; i < steps; ++i) {
      const auto x = randn({4, 1, 8, 8});  // draws from the generator: its state matters
      const auto target = randint(0, 5, {4});
      opt.zero_grad();
      nn::functional::cross_entropy(model(x), target).backward();
      opt.step();
      ++sched.last_epoch;
    }
  };
  manual_seed(2024);
  CNN ref;
  Momentum ref_opt(ref->parameters(), 0.05);
  Schedule ref_sched;
  train(ref, ref_opt, ref_sched, 3);

  // Save after 3 steps...
  StateDict ckpt;
  ckpt.merge(ref->state_dict(), "model");
  ckpt.merge(ref_opt.state_dict(), "optimizer");
  ckpt.merge(ref_sched.state_dict(), "scheduler");
  ckpt.merge(rng_state_dict(), "rng");
  ckpt.metadata["epoch"] = "3";
  save(ckpt, dir / "ckpt.safetensors");
  // ...the uninterrupted run goes on.
  train(ref, ref_opt, ref_sched, 4);

  // A new process: fresh objects (other initial values), the generator elsewhere.
  manual_seed(99);
  CNN model;
  Momentum opt(model->parameters(), 1.0);
  Schedule sched;
  (void)randn({10});
  const StateDict back = load_state_dict_file(dir / "ckpt.safetensors");
  model->load_state_dict(back.extract("model"));
  opt.load_state_dict(back.extract("optimizer"));
  sched.load_state_dict(back.extract("scheduler"));
  load_rng_state_dict(back.extract("rng"));
  BOOST_CHECK_EQUAL(back.metadata.at("epoch"), "3");
  train(model, opt, sched, 4);

  BOOST_CHECK_EQUAL(sched.last_epoch, ref_sched.last_epoch);
  BOOST_CHECK_EQUAL(opt.steps(), ref_opt.steps());
  const auto a = model->state_dict(), b = ref->state_dict();
  for (const auto& item : b.tensors) check_identical(a.tensors[item.key()], item.value());
}
