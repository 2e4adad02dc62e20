#define BOOST_TEST_MODULE optim_optimizers
#include <boost/test/unit_test.hpp>

#include "optim/common.hpp"

#include <cstring>

// The optimizers against PyTorch 1.13 trajectories (tests/reference/optim.py, float64, 12 steps,
// 1e-9 relative), and the Optimizer API: closures, zero_grad, param groups, option checks,
// LibTorch-style use, thread-count bit-identity.

using namespace optim_test;
namespace optim = xgrad::optim;

namespace {

bool message_has(const std::exception& e, std::initializer_list<const char*> parts) {
  const std::string what = e.what();
  for (const char* p : parts)
    if (what.find(p) == std::string::npos) {
      BOOST_TEST_MESSAGE("message '" << what << "' lacks '" << p << "'");
      return false;
    }
  return true;
}

#define CHECK_THROWS_WITH(expr, kind, ...) \
  BOOST_CHECK_EXCEPTION(expr, kind, [](const kind& e) { return message_has(e, {__VA_ARGS__}); })

struct ThreadsGuard {
  int64_t saved = xgrad::get_num_threads();
  ~ThreadsGuard() { xgrad::set_num_threads(saved); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(trajectories_match_pytorch) {
  BOOST_REQUIRE_EQUAL(kCases.size(), 19u);
  for (const auto& c : kCases) {
    BOOST_TEST_CONTEXT("case " << c.name) {
      Model m;
      auto opt = make_optimizer(c.name, m);
      BOOST_REQUIRE_EQUAL(c.trajectory.size(), static_cast<size_t>(kSteps));
      for (int s = 0; s < kSteps; ++s) {
        train_step(*opt, m);
        check_rel(m.flat(), c.trajectory[static_cast<size_t>(s)], c.name + " step " + std::to_string(s + 1));
      }
      // `u` never had a gradient: untouched, and (except Adagrad, which creates all state up front)
      // without state.
      BOOST_TEST(!m.u.grad().defined());
      const bool has_u_state = opt->state().count(optim::Optimizer::state_key(m.u)) != 0;
      BOOST_TEST(has_u_state == (c.name.rfind("adagrad", 0) == 0));
    }
  }
}

BOOST_AUTO_TEST_CASE(closure_step_runs_with_grad_and_returns_the_loss) {
  const auto& ref = kCases[5];  // adam_default
  BOOST_REQUIRE_EQUAL(ref.name, "adam_default");
  Model m;
  optim::Adam opt(m.params(), optim::AdamOptions(0.01));
  for (int s = 0; s < kSteps; ++s) {
    xgrad::NoGradGuard outer;  // the closure must still build a graph
    double seen = 0;
    Tensor loss = opt.step([&] {
      BOOST_TEST(xgrad::GradMode::is_enabled());
      opt.zero_grad();
      Tensor l = m.loss();
      l.backward();
      seen = l.item<double>();
      return l;
    });
    BOOST_REQUIRE(loss.defined());
    BOOST_TEST(loss.item<double>() == seen);
    check_rel(m.flat(), ref.trajectory[static_cast<size_t>(s)], "closure step " + std::to_string(s + 1));
  }
  // Without a closure step() returns an undefined tensor.
  BOOST_TEST(!opt.step().defined());
}

BOOST_AUTO_TEST_CASE(zero_grad_zeroes_or_resets) {
  Model m;
  optim::SGD opt(m.params(), optim::SGDOptions(0.1));
  m.loss().backward();
  BOOST_REQUIRE(m.W.grad().defined());
  BOOST_TEST(m.W.grad().abs().sum().item<double>() > 0);
  opt.zero_grad();
  BOOST_REQUIRE(m.W.grad().defined());
  BOOST_TEST(m.W.grad().abs().sum().item<double>() == 0.0);
  BOOST_TEST(m.b.grad().abs().sum().item<double>() == 0.0);
  BOOST_TEST(!m.u.grad().defined());  // never had one: stays undefined
  m.loss().backward();
  opt.zero_grad(/*set_to_none=*/true);
  BOOST_TEST(!m.W.grad().defined());
  BOOST_TEST(!m.b.grad().defined());
  // A step with no gradients at all changes nothing.
  const auto before = m.flat();
  opt.step();
  BOOST_TEST(m.flat() == before, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(param_groups_api) {
  Model m;
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{m.W});  // takes the defaults
  groups.emplace_back(std::vector<Tensor>{m.b}, std::make_unique<optim::SGDOptions>(optim::SGDOptions(0.5)));
  optim::SGD opt(groups, optim::SGDOptions(0.1).momentum(0.9));
  BOOST_TEST(opt.param_groups().size() == 2u);
  BOOST_TEST(opt.size() == 2u);
  BOOST_TEST(opt.parameters().size() == 1u);  // LibTorch: the first group's
  BOOST_TEST(opt.parameters()[0].is_same(m.W));
  BOOST_TEST(opt.param_groups()[0].options().get_lr() == 0.1);
  BOOST_TEST(static_cast<optim::SGDOptions&>(opt.param_groups()[0].options()).momentum() == 0.9);
  BOOST_TEST(opt.param_groups()[1].options().get_lr() == 0.5);
  BOOST_TEST(static_cast<optim::SGDOptions&>(opt.param_groups()[1].options()).momentum() == 0.0);
  BOOST_TEST(static_cast<const optim::SGDOptions&>(opt.defaults()).lr() == 0.1);
  // Each group owns a copy: changing one lr leaves the defaults and the other group alone.
  opt.param_groups()[0].options().set_lr(0.01);
  BOOST_TEST(opt.defaults().get_lr() == 0.1);
  BOOST_TEST(opt.param_groups()[1].options().get_lr() == 0.5);

  // A parameter in two groups.
  CHECK_THROWS_WITH(opt.add_param_group(optim::OptimizerParamGroup({m.u, m.W})), xgrad::ValueError, "SGD",
                    "more than one parameter group");
  BOOST_TEST(opt.param_groups().size() == 2u);  // unchanged
  CHECK_THROWS_WITH(opt.add_parameters({m.b}), xgrad::ValueError, "more than one parameter group");
  // Options of another optimizer, invalid options, a non-leaf.
  CHECK_THROWS_WITH(
      opt.add_param_group(optim::OptimizerParamGroup({m.u}, std::make_unique<optim::AdamOptions>(1e-3))),
      xgrad::TypeError, "SGD", "SGDOptions");
  CHECK_THROWS_WITH(
      opt.add_param_group(optim::OptimizerParamGroup({m.u}, std::make_unique<optim::SGDOptions>(-1.0))),
      xgrad::ValueError, "SGD", "Invalid learning rate: -1");
  CHECK_THROWS_WITH(opt.add_param_group(optim::OptimizerParamGroup({m.u * 2.0})), xgrad::ValueError,
                    "non-leaf");
  // A later group with its own lr takes part in step().
  opt.add_param_group(optim::OptimizerParamGroup({m.u}, std::make_unique<optim::SGDOptions>(1.0)));
  BOOST_TEST(opt.size() == 3u);
  m.u.mutable_grad() = xgrad::ones({2}, xgrad::kFloat64);
  opt.step();
  BOOST_TEST(m.u.to_vector<double>() == (std::vector<double>{0.0, -3.0}), boost::test_tools::per_element());
  // add_parameters appends to the first group.
  Tensor extra = xgrad::zeros({3}, xgrad::TensorOptions(xgrad::kFloat64).requires_grad(true));
  opt.add_parameters({extra});
  BOOST_TEST(opt.parameters().size() == 2u);
  BOOST_TEST(opt.size() == 4u);

  // No parameters at all.
  CHECK_THROWS_WITH(optim::SGD(std::vector<Tensor>{}, optim::SGDOptions(0.1)), xgrad::ValueError,
                    "empty parameter list");
  CHECK_THROWS_WITH(optim::Adam(std::vector<Tensor>{m.W, m.W}), xgrad::ValueError, "more than one parameter group");
}

BOOST_AUTO_TEST_CASE(invalid_options_name_optimizer_and_option) {
  Model m;
  const auto p = m.params();
  using namespace xgrad::optim;
  CHECK_THROWS_WITH(SGD(p, SGDOptions(-0.1)), xgrad::ValueError, "SGD", "Invalid learning rate: -0.1");
  CHECK_THROWS_WITH(SGD(p, SGDOptions(0.1).momentum(-1)), xgrad::ValueError, "SGD", "Invalid momentum value: -1");
  CHECK_THROWS_WITH(SGD(p, SGDOptions(0.1).weight_decay(-1)), xgrad::ValueError, "SGD", "weight_decay");
  CHECK_THROWS_WITH(SGD(p, SGDOptions(0.1).nesterov(true)), xgrad::ValueError, "SGD",
                    "Nesterov momentum requires a momentum and zero dampening");
  CHECK_THROWS_WITH(SGD(p, SGDOptions(0.1).nesterov(true).momentum(0.9).dampening(0.1)), xgrad::ValueError,
                    "Nesterov", "dampening=0.1");
  CHECK_THROWS_WITH(Adam(p, AdamOptions(-1e-3)), xgrad::ValueError, "Adam:", "Invalid learning rate");
  CHECK_THROWS_WITH(Adam(p, AdamOptions().eps(-1e-8)), xgrad::ValueError, "Adam:", "Invalid epsilon value");
  CHECK_THROWS_WITH(Adam(p, AdamOptions().betas({1.0, 0.999})), xgrad::ValueError, "Adam:",
                    "Invalid beta parameter at index 0: 1");
  CHECK_THROWS_WITH(Adam(p, AdamOptions().betas({0.9, -0.1})), xgrad::ValueError, "Adam:",
                    "Invalid beta parameter at index 1: -0.1");
  CHECK_THROWS_WITH(Adam(p, AdamOptions().weight_decay(-1)), xgrad::ValueError, "Adam:", "weight_decay");
  CHECK_THROWS_WITH(AdamW(p, AdamWOptions().betas({0.9, 1.0})), xgrad::ValueError, "AdamW:",
                    "Invalid beta parameter at index 1");
  CHECK_THROWS_WITH(AdamW(p, AdamWOptions(-1)), xgrad::ValueError, "AdamW:", "Invalid learning rate");
  CHECK_THROWS_WITH(RMSprop(p, RMSpropOptions(-1)), xgrad::ValueError, "RMSprop", "Invalid learning rate");
  CHECK_THROWS_WITH(RMSprop(p, RMSpropOptions().alpha(-0.5)), xgrad::ValueError, "RMSprop", "Invalid alpha value");
  CHECK_THROWS_WITH(RMSprop(p, RMSpropOptions().eps(-1)), xgrad::ValueError, "RMSprop", "Invalid epsilon value");
  CHECK_THROWS_WITH(RMSprop(p, RMSpropOptions().momentum(-1)), xgrad::ValueError, "RMSprop", "momentum");
  CHECK_THROWS_WITH(RMSprop(p, RMSpropOptions().weight_decay(-1)), xgrad::ValueError, "RMSprop", "weight_decay");
  CHECK_THROWS_WITH(Adagrad(p, AdagradOptions(-1)), xgrad::ValueError, "Adagrad", "Invalid learning rate");
  CHECK_THROWS_WITH(Adagrad(p, AdagradOptions().lr_decay(-1)), xgrad::ValueError, "Adagrad", "lr_decay");
  CHECK_THROWS_WITH(Adagrad(p, AdagradOptions().weight_decay(-1)), xgrad::ValueError, "Adagrad", "weight_decay");
  CHECK_THROWS_WITH(Adagrad(p, AdagradOptions().initial_accumulator_value(-1)), xgrad::ValueError, "Adagrad",
                    "initial_accumulator_value");
  CHECK_THROWS_WITH(Adagrad(p, AdagradOptions().eps(-1)), xgrad::ValueError, "Adagrad", "Invalid epsilon value");
  // A group's own options are checked too (PyTorch only checks the defaults; xgrad checks both).
  std::vector<OptimizerParamGroup> g;
  g.emplace_back(std::vector<Tensor>{m.W}, std::make_unique<AdamOptions>(AdamOptions().betas({0.9, 2.0})));
  CHECK_THROWS_WITH(Adam(g, AdamOptions()), xgrad::ValueError, "Adam:", "index 1: 2");
  // Defaults, as LibTorch and PyTorch.
  BOOST_TEST(AdamOptions().lr() == 1e-3);
  BOOST_TEST(std::get<1>(AdamOptions().betas()) == 0.999);
  BOOST_TEST(AdamWOptions().weight_decay() == 1e-2);
  BOOST_TEST(RMSpropOptions().alpha() == 0.99);
  BOOST_TEST(AdagradOptions().eps() == 1e-10);
}

BOOST_AUTO_TEST_CASE(gradient_checks) {
  Model m;
  optim::Adam opt(m.params());
  m.W.mutable_grad() = xgrad::ones({2, 3}, xgrad::kFloat64);
  CHECK_THROWS_WITH(opt.step(), xgrad::ShapeError, "Adam.step", "[2, 3]", "[3, 2]");
  m.W.mutable_grad() = xgrad::ones({3, 2}, xgrad::kFloat32);
  CHECK_THROWS_WITH(opt.step(), xgrad::TypeError, "Adam.step", "float32", "float64");
  // A non-contiguous gradient and parameter are handled (through contiguous copies).
  Tensor base = xgrad::zeros({2, 3}, xgrad::kFloat64);
  Tensor pt = base.t().detach();  // [3, 2], strides (1, 3)
  pt.requires_grad_();
  optim::SGD sgd({pt}, optim::SGDOptions(1.0));
  pt.mutable_grad() = xgrad::arange(6.0, xgrad::kFloat64).reshape({2, 3}).t();
  sgd.step();
  BOOST_TEST(pt.to_vector<double>() == (std::vector<double>{-0, -3, -1, -4, -2, -5}), boost::test_tools::per_element());
  BOOST_TEST(base.to_vector<double>() == (std::vector<double>{-0, -1, -2, -3, -4, -5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(step_counts_as_an_inplace_write) {
  // A tensor saved for backward before the step is detected as modified, as in PyTorch.
  Model m;
  optim::SGD opt(m.params(), optim::SGDOptions(0.1));
  m.loss().backward();
  const auto v = m.W._version();
  opt.step();
  BOOST_TEST(m.W._version() > v);
}

BOOST_AUTO_TEST_CASE(libtorch_style_snippet_compiles_and_trains) {
  // The code a LibTorch user writes, with torch:: replaced by xgrad::.
  namespace nn = xgrad::nn;
  xgrad::manual_seed(0);
  auto model = nn::Linear(4, 2);
  optim::Adam opt(model->parameters(), optim::AdamOptions(1e-3).betas({0.9, 0.99}));
  Tensor x = xgrad::randn({8, 4});
  Tensor y = xgrad::randn({8, 2});
  const auto w0 = model->weight.clone();
  double first = 0, last = 0;
  for (int i = 0; i < 50; ++i) {
    opt.zero_grad();
    Tensor loss = (model->forward(x) - y).pow(2).mean();
    loss.backward();
    opt.step();
    (i == 0 ? first : last) = loss.item<double>();
  }
  BOOST_TEST(!model->weight.equal(w0));
  BOOST_TEST(last < first);
  auto& state = static_cast<optim::AdamParamState&>(*opt.state().at(optim::Optimizer::state_key(model->weight)));
  BOOST_TEST(state.step() == 50);
  BOOST_TEST(state.exp_avg().sizes() == model->weight.sizes());
  BOOST_TEST(!state.max_exp_avg_sq().defined());
  optim::SGD sgd(model->parameters(), optim::SGDOptions(0.01).momentum(0.9).nesterov(true));
  sgd.zero_grad();
  (model->forward(x) - y).pow(2).mean().backward();
  sgd.step();
  BOOST_TEST(static_cast<optim::SGDParamState&>(*sgd.state().at(optim::Optimizer::state_key(model->bias)))
                 .momentum_buffer()
                 .defined());
}

namespace {

// Runs 3 steps of every optimizer (with all its buffers in use) over one large parameter and
// returns the bytes of the parameter and all state.
template <typename T>
std::vector<unsigned char> run_big(const std::string& which, int64_t threads) {
  xgrad::set_num_threads(threads);
  const int64_t n = 3 * 16384 + 37;  // several chunks plus a tail
  xgrad::manual_seed(7);
  const auto dtype = xgrad::scalar_type_of<T>();
  Tensor p = xgrad::randn({n}, dtype).requires_grad_();
  const std::vector<Tensor> ps{p};
  std::unique_ptr<optim::Optimizer> opt;
  if (which == "sgd")
    opt = std::make_unique<optim::SGD>(ps, optim::SGDOptions(0.1).momentum(0.9).weight_decay(0.01).nesterov(true));
  if (which == "adam")
    opt = std::make_unique<optim::Adam>(ps, optim::AdamOptions(0.01).weight_decay(0.1).amsgrad(true));
  if (which == "adamw") opt = std::make_unique<optim::AdamW>(ps, optim::AdamWOptions(0.01).maximize(true));
  if (which == "rmsprop")
    opt = std::make_unique<optim::RMSprop>(
        ps, optim::RMSpropOptions(0.01).momentum(0.5).centered(true).weight_decay(0.1));
  if (which == "adagrad")
    opt = std::make_unique<optim::Adagrad>(ps, optim::AdagradOptions(0.1).lr_decay(0.01).weight_decay(0.1));
  for (int s = 0; s < 3; ++s) {
    p.mutable_grad() = xgrad::randn({n}, dtype);
    opt->step();
  }
  std::vector<unsigned char> bytes;
  auto append = [&](const Tensor& t) {
    const auto* b = reinterpret_cast<const unsigned char*>(t.data_ptr<T>());
    bytes.insert(bytes.end(), b, b + t.numel() * static_cast<int64_t>(sizeof(T)));
  };
  append(p);
  for (const auto& item : opt->state_dict().tensors)
    if (item.value().dtype() == dtype) append(item.value());
  return bytes;
}

}  // namespace

BOOST_AUTO_TEST_CASE(bit_identical_for_any_thread_count) {
  ThreadsGuard guard;
  for (const char* which : {"sgd", "adam", "adamw", "rmsprop", "adagrad"}) {
    BOOST_TEST_CONTEXT(which) {
      const auto f1 = run_big<float>(which, 1);
      BOOST_TEST(f1 == run_big<float>(which, 2));
      BOOST_TEST(f1 == run_big<float>(which, 3));
      const auto d1 = run_big<double>(which, 1);
      BOOST_TEST(d1 == run_big<double>(which, 2));
      BOOST_TEST(d1 == run_big<double>(which, 3));
    }
  }
}
