// Shared optimizer helpers (see internal.hpp).
#include "optim/internal.hpp"

#include <xgrad/autograd/grad_mode.hpp>

#include <cmath>
#include <set>

namespace xgrad::optim::detail {

json parse_options(const std::string& text, const std::string& who, std::initializer_list<const char*> keys) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    XGRAD_THROW(ValueError, "{}: options are not valid JSON ({})", who, e.what());
  }
  XGRAD_CHECK(j.is_object(), ValueError, "{}: options must be a JSON object, got {}", who, j.type_name());
  std::set<std::string> expected(keys.begin(), keys.end());
  for (const auto& k : expected)
    XGRAD_CHECK(j.contains(k), ValueError, "{}: option \"{}\" is missing", who, k);
  for (auto it = j.begin(); it != j.end(); ++it)
    XGRAD_CHECK(expected.count(it.key()) != 0, ValueError, "{}: unknown option \"{}\" (expected {})", who, it.key(),
                fmt::join(expected, ", "));
  return j;
}

double get_double(const json& j, const char* key, const std::string& who) {
  const json& v = j.at(key);
  XGRAD_CHECK(v.is_number(), ValueError, "{}: option \"{}\" must be a number, got {}", who, key, v.dump());
  return v.get<double>();
}

bool get_bool(const json& j, const char* key, const std::string& who) {
  const json& v = j.at(key);
  XGRAD_CHECK(v.is_boolean(), ValueError, "{}: option \"{}\" must be true or false, got {}", who, key, v.dump());
  return v.get<bool>();
}

std::pair<double, double> get_pair(const json& j, const char* key, const std::string& who) {
  const json& v = j.at(key);
  XGRAD_CHECK(v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number(), ValueError,
              "{}: option \"{}\" must be a list of two numbers, got {}", who, key, v.dump());
  return {v[0].get<double>(), v[1].get<double>()};
}

Tensor new_state_like(const Tensor& param, double value) {
  Tensor t = zeros(param.sizes(), param.dtype());
  if (value != 0.0) t.fill_(value);
  return t;
}

Tensor load_state_tensor(const std::map<std::string, Tensor>& tensors, const std::string& key, const Tensor& param) {
  auto it = tensors.find(key);
  XGRAD_CHECK(it != tensors.end(), ValueError, "state \"{}\" is missing", key);
  const Tensor& t = it->second;
  XGRAD_CHECK(t.sizes() == param.sizes(), ValueError, "state \"{}\" has sizes {}, the parameter has {}", key,
              xgrad::to_string(t.sizes()), xgrad::to_string(param.sizes()));
  XGRAD_CHECK(t.dtype() == param.dtype(), ValueError, "state \"{}\" has dtype {}, the parameter has {}", key,
              dtype_name(t.dtype()), dtype_name(param.dtype()));
  Tensor out = zeros(param.sizes(), param.dtype());
  NoGradGuard no_grad;
  out.copy_(t.detach());
  return out;
}

int64_t load_step(const std::map<std::string, Tensor>& tensors, const std::string& key) {
  auto it = tensors.find(key);
  XGRAD_CHECK(it != tensors.end(), ValueError, "state \"{}\" is missing", key);
  const Tensor& t = it->second;
  XGRAD_CHECK(t.numel() == 1, ValueError, "state \"{}\" must hold one number, it has {} elements (sizes {})", key,
              t.numel(), xgrad::to_string(t.sizes()));
  XGRAD_CHECK(t.dtype() == kFloat64 || t.dtype() == kInt64 || t.dtype() == kFloat32, ValueError,
              "state \"{}\" must be a float64 or int64 tensor, got {}", key, dtype_name(t.dtype()));
  const double v = t.item<double>();
  XGRAD_CHECK(std::isfinite(v) && v >= 0 && v == std::floor(v) && v < 9.007199254740992e15, ValueError,
              "state \"{}\" must be a non-negative whole number, got {}", key, v);
  return static_cast<int64_t>(v);
}

void check_state_keys(const std::map<std::string, Tensor>& tensors, std::initializer_list<const char*> allowed) {
  std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& [k, t] : tensors)
    XGRAD_CHECK(ok.count(k) != 0, ValueError, "unknown state \"{}\" (expected {})", k, fmt::join(ok, ", "));
}

Tensor kernel_state(const Tensor& state, const Tensor& param, const char* key, const std::string& who) {
  XGRAD_CHECK(state.sizes() == param.sizes() && state.dtype() == param.dtype(), ValueError,
              "{}: state \"{}\" is {} {}, its parameter is {} {}", who, key, dtype_name(state.dtype()),
              xgrad::to_string(state.sizes()), dtype_name(param.dtype()), xgrad::to_string(param.sizes()));
  return state.is_contiguous() ? state : state.detach().contiguous();
}

Tensor step_tensor(int64_t step) { return full({}, static_cast<double>(step), kFloat64); }

ParamUpdate::ParamUpdate(const Tensor& p, const std::string& who) : param(p) {
  const Tensor& g = p.grad();
  XGRAD_CHECK(g.sizes() == p.sizes(), ShapeError, "{}: the gradient has sizes {}, its parameter has {}", who,
              xgrad::to_string(g.sizes()), xgrad::to_string(p.sizes()));
  XGRAD_CHECK(g.dtype() == p.dtype(), TypeError, "{}: the gradient has dtype {}, its parameter has {} (sizes {})",
              who, dtype_name(g.dtype()), dtype_name(p.dtype()), xgrad::to_string(p.sizes()));
  grad = g.detach().contiguous();
  work = p.is_contiguous() ? p : p.detach().contiguous();
}

void ParamUpdate::finish() {
  if (!work.is_same(param)) {
    NoGradGuard no_grad;
    param.copy_(work);  // counts the version itself
  } else {
    bump_version(param);
  }
}

std::vector<OptimizerParamGroup> checked_params(std::vector<OptimizerParamGroup> groups, const std::string& who) {
  size_t count = 0;
  std::set<const TensorImpl*> seen;
  for (const auto& g : groups) {
    for (const auto& p : g.params()) {
      ++count;
      XGRAD_CHECK(p.defined(), ValueError, "{}: a parameter is an undefined tensor", who);
      XGRAD_CHECK(p.is_leaf(), ValueError, "{}: can't optimize a non-leaf Tensor (sizes {})", who,
                  xgrad::to_string(p.sizes()));
      XGRAD_CHECK(p.is_floating_point(), ValueError,
                  "{}: can only optimize floating-point tensors, got a {} parameter (sizes {})", who,
                  dtype_name(p.dtype()), xgrad::to_string(p.sizes()));
      XGRAD_CHECK(seen.insert(p.unsafeGetTensorImpl()).second, ValueError,
                  "{}: some parameters appear in more than one parameter group (a parameter of sizes {})", who,
                  xgrad::to_string(p.sizes()));
    }
  }
  XGRAD_CHECK(count > 0, ValueError, "{}: optimizer got an empty parameter list", who);
  return groups;
}

}  // namespace xgrad::optim::detail
