// Optimizer base: param groups, per-parameter state and the StateDict round trip.
//
// state_dict()/load_state_dict() follow PyTorch's optimizer.state_dict() layout, flattened
// into tensors "state.<i>.<key>" and two metadata strings. Loading is two-phase: phase 1 parses
// and checks everything into fresh objects (new options per group, new state per parameter)
// and throws on the first difference; phase 2 only swaps them in, so a failed load leaves
// the optimizer untouched.

#include <xgrad/optim/optimizer.hpp>

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/error.hpp>

#include "core/tensor_internal.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <unordered_set>

namespace xgrad::optim {

// ---- OptimizerParamState / OptimizerOptions --------------------------------------------------------

std::unique_ptr<OptimizerParamState> OptimizerParamState::clone() const {
  return std::make_unique<OptimizerParamState>(*this);
}

std::vector<std::pair<std::string, Tensor>> OptimizerParamState::named_tensors() const { return {}; }

std::unique_ptr<OptimizerOptions> OptimizerOptions::clone() const { return std::make_unique<OptimizerOptions>(*this); }

double OptimizerOptions::get_lr() const {
  XGRAD_THROW(ValueError, "OptimizerOptions::get_lr: the base options have no learning rate; "
                          "override get_lr() in the options subclass");
}

void OptimizerOptions::set_lr(const double /*lr*/) {
  XGRAD_THROW(ValueError, "OptimizerOptions::set_lr: the base options have no learning rate; "
                          "override set_lr() in the options subclass");
}

std::string OptimizerOptions::to_json() const {
  XGRAD_THROW(ValueError, "OptimizerOptions::to_json: these options cannot be serialized; "
                          "override to_json() in the options subclass");
}

void OptimizerOptions::from_json(const std::string& /*json*/) {
  XGRAD_THROW(ValueError, "OptimizerOptions::from_json: these options cannot be deserialized; "
                          "override from_json() in the options subclass");
}

// ---- OptimizerParamGroup -----------------------------------------------------------------------------

OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_), options_(other.options_ ? other.options_->clone() : nullptr) {}

OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
  if (this != &other) {
    params_ = other.params_;
    options_ = other.options_ ? other.options_->clone() : nullptr;
  }
  return *this;
}

OptimizerParamGroup::OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}

OptimizerParamGroup::OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options)
    : params_(std::move(params)), options_(std::move(options)) {}

bool OptimizerParamGroup::has_options() const { return options_ != nullptr; }

OptimizerOptions& OptimizerParamGroup::options() {
  XGRAD_CHECK(options_ != nullptr, ValueError, "OptimizerParamGroup::options: this group has no options");
  return *options_;
}

const OptimizerOptions& OptimizerParamGroup::options() const {
  XGRAD_CHECK(options_ != nullptr, ValueError, "OptimizerParamGroup::options: this group has no options");
  return *options_;
}

void OptimizerParamGroup::set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }

std::vector<Tensor>& OptimizerParamGroup::params() { return params_; }
const std::vector<Tensor>& OptimizerParamGroup::params() const { return params_; }

// ---- Optimizer ---------------------------------------------------------------------------------------

Optimizer::Optimizer(std::vector<OptimizerParamGroup> param_groups, std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
  XGRAD_CHECK(defaults_ != nullptr, ValueError, "Optimizer: the default options are null");
  size_t count = 0;
  for (const auto& g : param_groups) count += g.params().size();
  XGRAD_CHECK(count > 0, ValueError, "Optimizer: optimizer got an empty parameter list");
  for (const auto& g : param_groups) add_param_group(g);
}

Optimizer::Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults)
    : Optimizer(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(parameters))}, std::move(defaults)) {}

namespace {

void check_parameter(const Tensor& p, const std::string& who) {
  XGRAD_CHECK(p.defined(), ValueError, "{}: a parameter is an undefined tensor", who);
  XGRAD_CHECK(p.is_leaf(), ValueError, "{}: can't optimize a non-leaf Tensor (sizes {})", who,
              xgrad::to_string(p.sizes()));
  XGRAD_CHECK(p.is_floating_point(), ValueError,
              "{}: can only optimize floating-point tensors, got a {} parameter (sizes {})", who,
              dtype_name(p.dtype()), xgrad::to_string(p.sizes()));
}

}  // namespace

void Optimizer::add_param_group(const OptimizerParamGroup& param_group) {
  const std::string who = name() + ".add_param_group";
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& g : param_groups_)
    for (const auto& p : g.params()) seen.insert(p.unsafeGetTensorImpl());
  for (const auto& p : param_group.params()) {
    check_parameter(p, who);
    XGRAD_CHECK(seen.insert(p.unsafeGetTensorImpl()).second, ValueError,
                "{}: some parameters appear in more than one parameter group (a parameter of sizes {})", who,
                xgrad::to_string(p.sizes()));
  }
  auto options = param_group.has_options() ? param_group.options().clone() : defaults_->clone();
  check_options(*options);
  param_groups_.emplace_back(param_group.params(), std::move(options));
}

void Optimizer::add_parameters(const std::vector<Tensor>& parameters) {
  XGRAD_CHECK(!param_groups_.empty(), ValueError, "{}.add_parameters: the optimizer has no param group", name());
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& g : param_groups_)
    for (const auto& p : g.params()) seen.insert(p.unsafeGetTensorImpl());
  for (const auto& p : parameters) {
    check_parameter(p, name() + ".add_parameters");
    XGRAD_CHECK(seen.insert(p.unsafeGetTensorImpl()).second, ValueError,
                "{}.add_parameters: some parameters appear in more than one parameter group (a parameter of "
                "sizes {})",
                name(), xgrad::to_string(p.sizes()));
  }
  auto& first = param_groups_.front().params();
  first.insert(first.end(), parameters.begin(), parameters.end());
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : param_groups_)
    for (auto& p : group.params()) detail::clear_grad(p, set_to_none);
}

const std::vector<Tensor>& Optimizer::parameters() const noexcept { return param_groups_.at(0).params(); }
std::vector<Tensor>& Optimizer::parameters() noexcept { return param_groups_.at(0).params(); }

size_t Optimizer::size() const noexcept {
  size_t count = 0;
  for (const auto& g : param_groups_) count += g.params().size();
  return count;
}

OptimizerOptions& Optimizer::defaults() noexcept { return *defaults_; }
const OptimizerOptions& Optimizer::defaults() const noexcept { return *defaults_; }

std::vector<OptimizerParamGroup>& Optimizer::param_groups() noexcept { return param_groups_; }
const std::vector<OptimizerParamGroup>& Optimizer::param_groups() const noexcept { return param_groups_; }

Optimizer::StateMap& Optimizer::state() noexcept { return state_; }
const Optimizer::StateMap& Optimizer::state() const noexcept { return state_; }

std::string Optimizer::state_key(const Tensor& param) {
  return fmt::format("{}", static_cast<const void*>(param.unsafeGetTensorImpl()));
}

std::string Optimizer::name() const { return "Optimizer"; }

void Optimizer::check_options(const OptimizerOptions& /*options*/) const {}

std::unique_ptr<OptimizerParamState> Optimizer::make_param_state(const Tensor& /*param*/,
                                                                 const std::map<std::string, Tensor>& /*tensors*/,
                                                                 const OptimizerOptions& /*options*/) const {
  XGRAD_THROW(ValueError,
              "{}.load_state_dict: this optimizer keeps no per-parameter state, but the state dict has some",
              name());
}

Tensor Optimizer::run_closure(const LossClosure& closure) {
  if (!closure) return Tensor();
  AutoGradMode enable_grad(true);
  return closure();
}

// ---- state_dict ----------------------------------------------------------------------------------------

StateDict Optimizer::state_dict() const {
  StateDict sd;
  nlohmann::json groups = nlohmann::json::array();
  int64_t index = 0;
  for (const auto& group : param_groups_) {
    nlohmann::json g = nlohmann::json::parse(group.options().to_json());
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& p : group.params()) {
      ids.push_back(index);
      auto it = state_.find(state_key(p));
      if (it != state_.end() && it->second) {
        for (const auto& [key, t] : it->second->named_tensors()) {
          if (!t.defined()) continue;
          sd.tensors.insert(fmt::format("state.{}.{}", index, key), t.detach().clone());
        }
      }
      ++index;
    }
    g["params"] = std::move(ids);
    groups.push_back(std::move(g));
  }
  sd.metadata["optimizer"] = name();
  sd.metadata["param_groups"] = groups.dump();
  return sd;
}

namespace {

// "state.<id>.<key>" -> (id, key); false when the name has another shape.
bool split_state_name(const std::string& name, int64_t& id, std::string& key) {
  static const std::string prefix = "state.";
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  const size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size() || dot + 1 >= name.size()) return false;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + dot;
  auto [ptr, ec] = std::from_chars(first, last, id);
  if (ec != std::errc() || ptr != last || id < 0) return false;
  key = name.substr(dot + 1);
  return true;
}

}  // namespace

void Optimizer::load_state_dict(const StateDict& state_dict) {
  const std::string who = name() + ".load_state_dict";

  // Phase 1: check and build everything aside.
  auto opt_it = state_dict.metadata.find("optimizer");
  XGRAD_CHECK(opt_it != state_dict.metadata.end(), ValueError,
              "{}: the state dict has no \"optimizer\" metadata (is it an optimizer's state dict?)", who);
  XGRAD_CHECK(opt_it->second == name(), ValueError, "{}: the state dict was saved by a {} optimizer, not a {}", who,
              opt_it->second, name());
  auto pg_it = state_dict.metadata.find("param_groups");
  XGRAD_CHECK(pg_it != state_dict.metadata.end(), ValueError, "{}: the state dict has no \"param_groups\" metadata",
              who);
  nlohmann::json groups;
  try {
    groups = nlohmann::json::parse(pg_it->second);
  } catch (const nlohmann::json::exception& e) {
    XGRAD_THROW(ValueError, "{}: \"param_groups\" is not valid JSON ({})", who, e.what());
  }
  XGRAD_CHECK(groups.is_array(), ValueError, "{}: \"param_groups\" must be a JSON list, got {}", who,
              groups.type_name());
  XGRAD_CHECK(groups.size() == param_groups_.size(), ValueError,
              "{}: loaded state dict has {} parameter groups, the optimizer has {}", who, groups.size(),
              param_groups_.size());

  std::vector<std::unique_ptr<OptimizerOptions>> new_options;
  // Saved parameter id -> (group, position), matched in order as PyTorch does.
  std::map<int64_t, std::pair<size_t, size_t>> id_map;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const auto& g = groups[gi];
    const auto& group = param_groups_[gi];
    XGRAD_CHECK(g.is_object(), ValueError, "{}: param group {} must be a JSON object, got {}", who, gi, g.type_name());
    XGRAD_CHECK(g.contains("params") && g["params"].is_array(), ValueError,
                "{}: param group {} has no \"params\" list", who, gi);
    const auto& ids = g["params"];
    XGRAD_CHECK(ids.size() == group.params().size(), ValueError,
                "{}: loaded state dict contains a parameter group that doesn't match the size of optimizer's group "
                "(group {}: {} saved parameters, {} in the optimizer)",
                who, gi, ids.size(), group.params().size());
    for (size_t j = 0; j < ids.size(); ++j) {
      XGRAD_CHECK(ids[j].is_number_integer() && ids[j].get<int64_t>() >= 0, ValueError,
                  "{}: param group {}: parameter id {} is not a non-negative integer ({})", who, gi, j, ids[j].dump());
      const int64_t id = ids[j].get<int64_t>();
      XGRAD_CHECK(id_map.emplace(id, std::make_pair(gi, j)).second, ValueError,
                  "{}: parameter id {} appears twice in \"param_groups\"", who, id);
    }
    nlohmann::json opts = g;
    opts.erase("params");
    auto o = group.options().clone();
    try {
      o->from_json(opts.dump());
    } catch (const Error& e) {
      XGRAD_THROW(ValueError, "{}: param group {}: {}", who, gi, e.what());
    }
    try {
      check_options(*o);
    } catch (const Error& e) {
      XGRAD_THROW(ValueError, "{}: param group {} has invalid options: {}", who, gi, e.what());
    }
    new_options.push_back(std::move(o));
  }

  std::map<int64_t, std::map<std::string, Tensor>> saved;
  for (const auto& item : state_dict.tensors) {
    int64_t id = 0;
    std::string key;
    XGRAD_CHECK(split_state_name(item.key(), id, key), ValueError,
                "{}: unexpected tensor \"{}\" (expected names \"state.<index>.<key>\")", who, item.key());
    XGRAD_CHECK(id_map.count(id) != 0, ValueError,
                "{}: tensor \"{}\" is the state of parameter {}, which is in no param group", who, item.key(), id);
    XGRAD_CHECK(item.value().defined(), ValueError, "{}: tensor \"{}\" is undefined", who, item.key());
    saved[id][key] = item.value();
  }

  StateMap new_state;
  for (const auto& [id, tensors] : saved) {
    const auto [gi, j] = id_map.at(id);
    const Tensor& p = param_groups_[gi].params()[j];
    try {
      new_state[state_key(p)] = make_param_state(p, tensors, *new_options[gi]);
    } catch (const Error& e) {
      XGRAD_THROW(ValueError, "{}: state of parameter {} (sizes {}, {}): {}", who, id, xgrad::to_string(p.sizes()),
                  dtype_name(p.dtype()), e.what());
    }
  }

  // Phase 2: commit (nothing below throws).
  for (size_t gi = 0; gi < param_groups_.size(); ++gi) param_groups_[gi].set_options(std::move(new_options[gi]));
  state_ = std::move(new_state);
}

}  // namespace xgrad::optim
