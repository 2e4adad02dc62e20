#define BOOST_TEST_MODULE optim_state_dict
#include <boost/test/unit_test.hpp>

#include "optim/common.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

// Optimizer::state_dict / load_state_dict: PyTorch's names (from tests/reference/optim.py), the
// round trip (train, save, load into a fresh optimizer over copies, continue: bit-identical to
// the uninterrupted run), and validation before any change.

using namespace optim_test;
namespace optim = xgrad::optim;
using json = nlohmann::json;

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

bool same_state_dict(const xgrad::StateDict& a, const xgrad::StateDict& b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
  for (const auto& item : a.tensors) {
    const Tensor* other = b.tensors.find(item.key());
    if (other == nullptr || other->dtype() != item.value().dtype() || !other->equal(item.value())) return false;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(names_match_pytorch) {
  for (const auto& c : kCases) {
    BOOST_TEST_CONTEXT("case " << c.name) {
      Model m;
      auto opt = make_optimizer(c.name, m);
      for (int s = 0; s < 3; ++s) train_step(*opt, m);
      const auto sd = opt->state_dict();
      std::vector<std::string> names;
      for (const auto& item : sd.tensors) names.push_back(item.key());
      std::sort(names.begin(), names.end());
      BOOST_TEST(names == c.state_names, boost::test_tools::per_element());
      const json groups = json::parse(sd.metadata.at("param_groups"));
      std::vector<std::string> keys;
      for (auto it = groups[0].begin(); it != groups[0].end(); ++it)
        if (it.key() != "params") keys.push_back(it.key());
      std::sort(keys.begin(), keys.end());
      BOOST_TEST(keys == c.option_keys, boost::test_tools::per_element());
      BOOST_TEST(sd.metadata.at("optimizer") == opt->name());
      // Parameter indices count across groups in order.
      if (groups.size() == 2) {
        BOOST_TEST(groups[0]["params"] == json::parse("[0]"));
        BOOST_TEST(groups[1]["params"] == json::parse("[1, 2]"));
      } else {
        BOOST_TEST(groups[0]["params"] == json::parse("[0, 1, 2]"));
      }
      // Step counters are 0-dim float64 tensors.
      if (const Tensor* step = sd.tensors.find("state.0.step")) {
        BOOST_TEST(step->dtype() == xgrad::kFloat64);
        BOOST_TEST(step->dim() == 0);
        BOOST_TEST(step->item<double>() == 3.0);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(round_trip_is_bit_identical) {
  for (const auto& c : kCases) {
    BOOST_TEST_CONTEXT("case " << c.name) {
      Model a;
      auto opt_a = make_optimizer(c.name, a);
      for (int s = 0; s < 5; ++s) train_step(*opt_a, a);
      const auto sd = opt_a->state_dict();

      // A fresh model holding copies of the trained values, and a fresh optimizer built with
      // different hyper-parameters' lr (the load must restore them).
      Model b;
      {
        xgrad::NoGradGuard g;
        b.W.copy_(a.W);
        b.b.copy_(a.b);
        b.u.copy_(a.u);
      }
      auto opt_b = make_optimizer(c.name, b);
      for (auto& group : opt_b->param_groups()) group.options().set_lr(123.0);
      opt_b->load_state_dict(sd);
      BOOST_TEST(same_state_dict(opt_b->state_dict(), sd));
      for (size_t gi = 0; gi < opt_a->param_groups().size(); ++gi)
        BOOST_TEST(opt_b->param_groups()[gi].options().get_lr() == opt_a->param_groups()[gi].options().get_lr());
      // The saved tensors are copies: training on does not change `sd`.
      for (int s = 0; s < 7; ++s) {
        train_step(*opt_a, a);
        train_step(*opt_b, b);
      }
      BOOST_TEST(a.W.equal(b.W));
      BOOST_TEST(a.b.equal(b.b));
      BOOST_TEST(a.u.equal(b.u));
      BOOST_TEST(same_state_dict(opt_a->state_dict(), opt_b->state_dict()));
      // And both still follow PyTorch.
      check_rel(b.flat(), c.trajectory.back(), c.name + " after reload");
    }
  }
}

BOOST_AUTO_TEST_CASE(typed_state_after_load) {
  Model a;
  optim::Adam opt(a.params(), optim::AdamOptions(0.01).amsgrad(true));
  for (int s = 0; s < 4; ++s) train_step(opt, a);
  Model b;
  optim::Adam fresh(b.params(), optim::AdamOptions(0.01).amsgrad(true));
  fresh.load_state_dict(opt.state_dict());
  auto& st = static_cast<optim::AdamParamState&>(*fresh.state().at(optim::Optimizer::state_key(b.W)));
  auto& orig = static_cast<optim::AdamParamState&>(*opt.state().at(optim::Optimizer::state_key(a.W)));
  BOOST_TEST(st.step() == 4);
  BOOST_TEST(st.exp_avg().equal(orig.exp_avg()));
  BOOST_TEST(!st.exp_avg().is_same(orig.exp_avg()));  // a copy
  BOOST_TEST(st.max_exp_avg_sq().equal(orig.max_exp_avg_sq()));
  BOOST_TEST(fresh.state().count(optim::Optimizer::state_key(b.u)) == 0u);
  // An int64 step counter is accepted as well.
  auto sd = opt.state_dict();
  sd.tensors["state.0.step"] = xgrad::full({}, int64_t{4});
  fresh.load_state_dict(sd);
  BOOST_TEST(static_cast<optim::AdamParamState&>(*fresh.state().at(optim::Optimizer::state_key(b.W))).step() == 4);
}

BOOST_AUTO_TEST_CASE(load_validates_before_changing_anything) {
  Model a;
  optim::Adam opt(a.params(), optim::AdamOptions(0.01).amsgrad(true));
  for (int s = 0; s < 2; ++s) train_step(opt, a);
  const auto good = opt.state_dict();

  Model b;
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{b.W, b.b, b.u});
  optim::Adam target(groups, optim::AdamOptions(0.5));
  train_step(target, b);
  const auto before = target.state_dict();
  auto expect_unchanged = [&] { BOOST_TEST(same_state_dict(target.state_dict(), before)); };

  auto with_meta = [&](const std::string& key, const std::string& value) {
    auto sd = good;
    sd.metadata[key] = value;
    return sd;
  };
  auto groups_json = [&]() { return json::parse(good.metadata.at("param_groups")); };

  CHECK_THROWS_WITH(target.load_state_dict(with_meta("optimizer", "SGD")), xgrad::ValueError, "Adam.load_state_dict",
                    "saved by a SGD optimizer");
  {
    auto sd = good;
    sd.metadata.erase("optimizer");
    CHECK_THROWS_WITH(target.load_state_dict(sd), xgrad::ValueError, "no \"optimizer\"");
  }
  CHECK_THROWS_WITH(target.load_state_dict(with_meta("param_groups", "[{")), xgrad::ValueError, "not valid JSON");
  {
    auto g = groups_json();
    g.push_back(g[0]);
    CHECK_THROWS_WITH(target.load_state_dict(with_meta("param_groups", g.dump())), xgrad::ValueError,
                      "2 parameter groups, the optimizer has 1");
  }
  {
    auto g = groups_json();
    g[0]["params"] = json::parse("[0, 1]");
    CHECK_THROWS_WITH(target.load_state_dict(with_meta("param_groups", g.dump())), xgrad::ValueError,
                      "doesn't match the size", "2 saved parameters, 3 in the optimizer");
  }
  {
    auto g = groups_json();
    g[0].erase("eps");
    CHECK_THROWS_WITH(target.load_state_dict(with_meta("param_groups", g.dump())), xgrad::ValueError,
                      "option \"eps\" is missing");
  }
  {
    auto g = groups_json();
    g[0]["momentum"] = 0.9;
    CHECK_THROWS_WITH(target.load_state_dict(with_meta("param_groups", g.dump())), xgrad::ValueError,
                      "unknown option \"momentum\"");
  }
  {
    auto g = groups_json();
    g[0]["betas"] = json::parse("[0.9]");
    CHECK_THROWS_WITH(target.load_state_dict(with_meta("param_groups", g.dump())), xgrad::ValueError, "betas",
                      "two numbers");
  }
  {
    auto g = groups_json();
    g[0]["lr"] = -1.0;
    CHECK_THROWS_WITH(target.load_state_dict(with_meta("param_groups", g.dump())), xgrad::ValueError,
                      "invalid options", "Invalid learning rate: -1");
  }
  {
    auto sd = good;
    sd.tensors["state.0.exp_avg"] = xgrad::zeros({2, 3}, xgrad::kFloat64);
    CHECK_THROWS_WITH(target.load_state_dict(sd), xgrad::ValueError, "state of parameter 0", "exp_avg",
                      "sizes [2, 3]", "[3, 2]");
  }
  {
    auto sd = good;
    sd.tensors["state.1.exp_avg_sq"] = xgrad::zeros({2}, xgrad::kFloat32);
    CHECK_THROWS_WITH(target.load_state_dict(sd), xgrad::ValueError, "exp_avg_sq", "dtype float32");
  }
  {
    auto sd = good;
    sd.tensors.insert("state.0.velocity", xgrad::zeros({3, 2}, xgrad::kFloat64));
    CHECK_THROWS_WITH(target.load_state_dict(sd), xgrad::ValueError, "unknown state \"velocity\"");
  }
  {
    auto sd = good;
    sd.tensors.insert("state.7.exp_avg", xgrad::zeros({3, 2}, xgrad::kFloat64));
    CHECK_THROWS_WITH(target.load_state_dict(sd), xgrad::ValueError, "parameter 7, which is in no param group");
  }
  {
    auto sd = good;
    sd.tensors.insert("momentum", xgrad::zeros({1}, xgrad::kFloat64));
    CHECK_THROWS_WITH(target.load_state_dict(sd), xgrad::ValueError, "unexpected tensor \"momentum\"");
  }
  {
    xgrad::StateDict sd;
    sd.metadata = good.metadata;
    for (const auto& item : good.tensors)
      if (item.key() != "state.1.max_exp_avg_sq") sd.tensors.insert(item.key(), item.value());
    CHECK_THROWS_WITH(target.load_state_dict(sd), xgrad::ValueError, "state \"max_exp_avg_sq\" is missing");
  }
  {
    auto sd = good;
    sd.tensors["state.0.step"] = xgrad::full({}, 2.5, xgrad::kFloat64);
    CHECK_THROWS_WITH(target.load_state_dict(sd), xgrad::ValueError, "whole number");
  }
  expect_unchanged();
  // The same dict loads fine, and an optimizer of another class refuses it.
  target.load_state_dict(good);
  BOOST_TEST(same_state_dict(target.state_dict(), good));
  BOOST_TEST(target.param_groups()[0].options().get_lr() == 0.01);
  optim::SGD sgd(b.params(), optim::SGDOptions(0.1));
  CHECK_THROWS_WITH(sgd.load_state_dict(good), xgrad::ValueError, "SGD.load_state_dict", "saved by a Adam");
}

BOOST_AUTO_TEST_CASE(fresh_optimizer_state_dict) {
  // Before any step only Adagrad has state (created by its constructor, as PyTorch).
  Model m;
  optim::SGD sgd(m.params(), optim::SGDOptions(0.1).momentum(0.9));
  BOOST_TEST(sgd.state_dict().tensors.size() == 0u);
  optim::Adagrad ada(m.params(), optim::AdagradOptions(0.1).initial_accumulator_value(0.25));
  const auto sd = ada.state_dict();
  BOOST_TEST(sd.tensors.size() == 6u);
  BOOST_TEST(sd.tensors["state.2.sum"].to_vector<double>() == (std::vector<double>{0.25, 0.25}),
             boost::test_tools::per_element());
  BOOST_TEST(sd.tensors["state.0.step"].item<double>() == 0.0);
  const json g = json::parse(sd.metadata.at("param_groups"));
  BOOST_TEST(g[0]["initial_accumulator_value"].get<double>() == 0.25);
  BOOST_TEST(g[0]["maximize"].get<bool>() == false);
}
