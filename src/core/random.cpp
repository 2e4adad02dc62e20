// The global generator and every random factory / in-place sampler.
//
// One std::mt19937_64 behind a mutex. Each fill takes the lock once and draws its elements in
// row-major order, so a tensor's values are one contiguous run of the stream and results are
// reproducible after manual_seed whatever other threads do in between.

#include <xgrad/random.hpp>
#include <xgrad/tensor.hpp>

#include "core/dispatch.hpp"
#include "core/factory_internal.hpp"
#include "core/strided.hpp"
#include "core/tensor_internal.hpp"

#include <cmath>
#include <mutex>
#include <numbers>
#include <random>
#include <sstream>

namespace xgrad {

namespace {

// LibTorch's default CPU seed: an unseeded program is still deterministic.
constexpr uint64_t kDefaultSeed = 67280421310721ULL;

struct GlobalGenerator {
  std::mutex mutex;
  std::mt19937_64 engine{kDefaultSeed};
  uint64_t seed = kDefaultSeed;
};

GlobalGenerator& generator() {
  static GlobalGenerator g;
  return g;
}

// Uniform on [0, 1) with the full mantissa of T: 24 random bits for float, 53 for double, so
// every value is exactly representable and 1 is never produced.
template <typename T>
T uniform01(std::mt19937_64& e) {
  if constexpr (std::is_same_v<T, float>)
    return static_cast<float>(e() >> 40) * 0x1.0p-24f;
  else
    return static_cast<double>(e() >> 11) * 0x1.0p-53;
}

// Unbiased integer in [0, range): rejects the low values that would make `x % range` favour
// small results (the arc4random_uniform method).
uint64_t uniform_below(std::mt19937_64& e, uint64_t range) {
  const uint64_t threshold = (0 - range) % range;
  uint64_t x;
  do x = e();
  while (x < threshold);
  return x % range;
}

// Calls gen(engine) for every element of `t` (any strides) in row-major order and stores the
// result; holds the generator lock for the whole tensor.
template <typename T, typename Gen>
void fill_strided(const Tensor& t, Gen&& gen) {
  auto& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  T* base = static_cast<T*>(t.impl()->data());
  const std::array<const int64_t*, 1> strides{t.impl()->strides.data()};
  detail::for_each_element<1>(t.sizes(), strides, [&](const std::array<int64_t, 1>& off) {
    base[off[0]] = gen(g.engine);
  });
}

// Standard normal values by Box-Muller, two per pair of uniforms; the values are produced in
// pairs and written in row-major order (the last spare of an odd count is dropped, so the
// generator carries no hidden state between calls).
template <typename T>
void fill_normal(const Tensor& t, double mean, double std) {
  bool have_spare = false;
  double spare = 0.0;
  fill_strided<T>(t, [&](std::mt19937_64& e) {
    if (have_spare) {
      have_spare = false;
      return static_cast<T>(mean + std * spare);
    }
    // 1 - u lies in (0, 1], so the log is finite.
    const double u1 = 1.0 - uniform01<double>(e);
    const double u2 = uniform01<double>(e);
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    spare = r * std::sin(theta);
    have_spare = true;
    return static_cast<T>(mean + std * r * std::cos(theta));
  });
}

template <typename T>
void fill_uniform(const Tensor& t, double from, double to) {
  const double width = to - from;
  fill_strided<T>(t, [&](std::mt19937_64& e) {
    T v = static_cast<T>(from + width * static_cast<double>(uniform01<T>(e)));
    // Rounding to float32 can land exactly on `to`; keep the interval half-open.
    if (v >= static_cast<T>(to) && to > from) v = std::nextafter(static_cast<T>(to), static_cast<T>(from));
    return v;
  });
}

void check_floating(ScalarType dtype, const char* op) {
  XGRAD_CHECK(is_floating_point(dtype), TypeError, "{}: expected a floating-point dtype (float32 or float64), got {}",
              op, dtype_name(dtype));
}

}  // namespace

// ---- seeding ----------------------------------------------------------------------------------------

void manual_seed(uint64_t seed) {
  auto& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.engine.seed(seed);
  g.seed = seed;
}

uint64_t initial_seed() {
  auto& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  return g.seed;
}

uint64_t seed() {
  std::random_device rd;
  const uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  manual_seed(s);
  return s;
}

std::string get_rng_state() {
  auto& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  std::ostringstream os;
  os << g.seed << ' ' << g.engine;
  return os.str();
}

void set_rng_state(const std::string& state) {
  std::istringstream is(state);
  uint64_t s = 0;
  std::mt19937_64 e;
  is >> s >> e;
  XGRAD_CHECK(!is.fail(), ValueError, "set_rng_state: the string is not a state returned by get_rng_state");
  auto& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.seed = s;
  g.engine = e;
}

// ---- in-place samplers ------------------------------------------------------------------------------

Tensor& Tensor::uniform_(double from, double to) {
  detail::check_inplace(*this, "uniform_");
  detail::check_no_internal_overlap(*this, "uniform_");
  check_floating(dtype(), "uniform_");
  XGRAD_CHECK(std::isfinite(from) && std::isfinite(to), ValueError, "uniform_: bounds must be finite, got [{}, {})",
              from, to);
  XGRAD_CHECK(from <= to, ValueError, "uniform_: expects to return a [from, to) range, but found from={} > to={}",
              from, to);
  detail::dispatch_floating(dtype(), "uniform_", [&]<typename T>() {
    XGRAD_CHECK(to - from <= static_cast<double>(std::numeric_limits<T>::max()), ValueError,
                "uniform_: range [{}, {}) is wider than {} can hold", from, to, dtype_name(dtype()));
    fill_uniform<T>(*this, from, to);
  });
  detail::bump_version(*this);
  return *this;
}

Tensor& Tensor::normal_(double mean, double std) {
  detail::check_inplace(*this, "normal_");
  detail::check_no_internal_overlap(*this, "normal_");
  check_floating(dtype(), "normal_");
  XGRAD_CHECK(std::isfinite(mean), ValueError, "normal_: mean must be finite, got {}", mean);
  XGRAD_CHECK(std >= 0.0 && std::isfinite(std), ValueError, "normal_: expects std >= 0.0, but found std {}", std);
  detail::dispatch_floating(dtype(), "normal_", [&]<typename T>() { fill_normal<T>(*this, mean, std); });
  detail::bump_version(*this);
  return *this;
}

// ---- random factories -----------------------------------------------------------------------------

Tensor rand(IntArrayRef sizes, TensorOptions options) {
  check_floating(options.dtype(), "rand");
  detail::check_sizes_nonnegative(sizes, "rand");
  Tensor t = make_tensor(sizes, options.dtype(), "rand");
  detail::dispatch_floating(options.dtype(), "rand", [&]<typename T>() { fill_uniform<T>(t, 0.0, 1.0); });
  return detail::finish_factory(std::move(t), options);
}

Tensor randn(IntArrayRef sizes, TensorOptions options) {
  check_floating(options.dtype(), "randn");
  detail::check_sizes_nonnegative(sizes, "randn");
  Tensor t = make_tensor(sizes, options.dtype(), "randn");
  detail::dispatch_floating(options.dtype(), "randn", [&]<typename T>() { fill_normal<T>(t, 0.0, 1.0); });
  return detail::finish_factory(std::move(t), options);
}

Tensor rand_like(const Tensor& x, std::optional<TensorOptions> options) {
  detail::check_defined(x, "rand_like");
  const ScalarType dtype = detail::resolve_like_dtype(x, options);
  return rand(x.sizes(), TensorOptions(dtype).requires_grad(options && options->requires_grad()));
}

Tensor randn_like(const Tensor& x, std::optional<TensorOptions> options) {
  detail::check_defined(x, "randn_like");
  const ScalarType dtype = detail::resolve_like_dtype(x, options);
  return randn(x.sizes(), TensorOptions(dtype).requires_grad(options && options->requires_grad()));
}

Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, TensorOptions options) {
  XGRAD_CHECK(low < high, ValueError, "randint: expects low < high, but found low={} >= high={}", low, high);
  detail::check_sizes_nonnegative(sizes, "randint");
  // `randint(0, 5, {3}, requires_grad())` names no dtype: still int64, as PyTorch.
  const ScalarType dtype = options.has_dtype() ? options.dtype() : kInt64;
  // Every value of [low, high) must be exactly representable in the result type.
  switch (dtype) {
    case ScalarType::Float:
      XGRAD_CHECK(low >= -(int64_t{1} << 24) && high <= (int64_t{1} << 24) + 1, ValueError,
                  "randint: range [{}, {}) is not exactly representable in float32", low, high);
      break;
    case ScalarType::Double:
      XGRAD_CHECK(low >= -(int64_t{1} << 53) && high <= (int64_t{1} << 53) + 1, ValueError,
                  "randint: range [{}, {}) is not exactly representable in float64", low, high);
      break;
    case ScalarType::Bool:
      XGRAD_CHECK(low >= 0 && high <= 2, ValueError, "randint: range [{}, {}) does not fit in bool", low, high);
      break;
    case ScalarType::Long: break;
  }
  // high - low may exceed INT64_MAX; it always fits in uint64.
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  Tensor t = make_tensor(sizes, dtype, "randint");
  detail::dispatch_all(dtype, "randint", [&]<typename T>() {
    fill_strided<T>(t, [&](std::mt19937_64& e) {
      const auto v = static_cast<int64_t>(static_cast<uint64_t>(low) + uniform_below(e, range));
      return static_cast<T>(v);
    });
  });
  return detail::finish_factory(std::move(t), options.dtype(dtype));
}

Tensor randint(int64_t high, IntArrayRef sizes, TensorOptions options) { return randint(0, high, sizes, options); }

Tensor randperm(int64_t n, TensorOptions options) {
  XGRAD_CHECK(n >= 0, ValueError, "randperm: n must be non-negative, got {}", n);
  const ScalarType dtype = options.has_dtype() ? options.dtype() : kInt64;
  XGRAD_CHECK(dtype != kBool, TypeError, "randperm: not implemented for dtype bool");
  XGRAD_CHECK(dtype != kFloat32 || n <= (int64_t{1} << 24) + 1, ValueError,
              "randperm: n={} is too large for float32 (values above 2^24 are not exact)", n);
  XGRAD_CHECK(n <= (int64_t{1} << 40), ValueError, "randperm: n={} is too large", n);
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
  {
    auto& g = generator();
    std::lock_guard<std::mutex> lock(g.mutex);
    // Fisher-Yates: every permutation equally likely.
    for (int64_t i = n - 1; i > 0; --i) {
      const auto j = static_cast<int64_t>(uniform_below(g.engine, static_cast<uint64_t>(i + 1)));
      std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
    }
  }
  Tensor t = make_tensor({n}, dtype, "randperm");
  detail::dispatch_all(dtype, "randperm", [&]<typename T>() {
    T* p = static_cast<T*>(t.impl()->data());
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(perm[static_cast<size_t>(i)]);
  });
  return detail::finish_factory(std::move(t), options);
}

}  // namespace xgrad
