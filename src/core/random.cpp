// The global generator and every random factory / in-place sampler.
//
// Every value is PyTorch 1.13's CPU value for the same seed: the engine is the 32-bit MT19937
// that at::CPUGeneratorImpl runs, and each sampler consumes it the way the matching ATen CPU
// kernel does (the draw per element, the bits kept, the element order, the arithmetic including
// where PyTorch's AVX2 kernels fuse a multiply and an add). tests/reference/random_streams.py
// holds the PyTorch side of that promise.
//
// One generator behind a mutex; each fill takes the lock once, so a tensor's values are one
// contiguous run of the stream whatever other threads do in between.

// The sampler arithmetic must round exactly as written (std::fma where PyTorch's kernel fuses,
// separate roundings elsewhere): stop the compiler from fusing on its own when a build targets
// an FMA-capable CPU.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <xgrad/random.hpp>
#include <xgrad/tensor.hpp>
#include <xgrad/warning.hpp>

#include "core/dispatch.hpp"
#include "core/factory_internal.hpp"
#include "core/strided.hpp"
#include "core/tensor_internal.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numbers>
#include <optional>
#include <random>
#include <sstream>
#include <utility>

namespace xgrad {

namespace {

// LibTorch's default CPU seed: an unseeded program is still deterministic.
constexpr uint64_t kDefaultSeed = 67280421310721ULL;

// The 32-bit Mersenne Twister (Matsumoto & Nishimura, MT19937), initialised from a 32-bit seed
// with Knuth's multiplier, i.e. the sequence of std::mt19937 and of PyTorch's at::mt19937. Kept
// here rather than std::mt19937 so the state can be saved and validated word by word.
class Mt19937 {
 public:
  static constexpr size_t kN = 624;
  static constexpr size_t kM = 397;

  void seed(uint32_t s) {
    state_[0] = s;
    for (size_t i = 1; i < kN; ++i)
      state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
    index_ = kN;  // the first draw regenerates the block
  }

  uint32_t operator()() {
    if (index_ >= kN) regenerate();
    uint32_t y = state_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
  }

  const std::array<uint32_t, kN>& words() const { return state_; }
  size_t index() const { return index_; }
  void restore(const std::array<uint32_t, kN>& words, size_t index) {
    state_ = words;
    index_ = index;
  }

 private:
  void regenerate() {
    for (size_t i = 0; i < kN; ++i) {
      const uint32_t y = (state_[i] & 0x80000000u) | (state_[(i + 1) % kN] & 0x7fffffffu);
      state_[i] = state_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    index_ = 0;
  }

  std::array<uint32_t, kN> state_{};
  size_t index_ = kN;
};

struct GlobalGenerator {
  std::mutex mutex;
  Mt19937 engine;
  uint64_t seed = kDefaultSeed;
  // The second value of the last scalar Box-Muller pair, returned by the next scalar normal
  // draw (PyTorch's next_double_normal_sample); reseeding drops it.
  std::optional<double> next_normal;

  GlobalGenerator() { reseed(kDefaultSeed); }

  // As PyTorch, the engine takes the low 32 bits; initial_seed() still reports all 64.
  void reseed(uint64_t s) {
    engine.seed(static_cast<uint32_t>(s & 0xffffffffu));
    seed = s;
    next_normal.reset();
  }

  uint32_t random() { return engine(); }
  // Two draws, the first giving the high half (PyTorch's random64).
  uint64_t random64() {
    const uint64_t hi = engine();
    const uint64_t lo = engine();
    return (hi << 32) | lo;
  }
};

GlobalGenerator& generator() {
  static GlobalGenerator g;
  return g;
}

// Uniform on [0, 1) from the low mantissa-width bits of one draw: 24 bits of a 32-bit draw for
// float, 53 bits of a 64-bit draw for double (PyTorch's uniform_real_distribution).
template <typename T>
T uniform01(GlobalGenerator& g) {
  if constexpr (std::is_same_v<T, float>)
    return static_cast<float>(g.random() & 0xffffffu) * 0x1.0p-24f;
  else
    return static_cast<double>(g.random64() & ((uint64_t{1} << 53) - 1)) * 0x1.0p-53;
}

// Calls f(offset) for every element of `t` in the order of its memory (outermost stride
// first), which is the order PyTorch's TensorIterator hands elements to a serial random
// kernel; for a contiguous tensor it is row-major order.
template <typename F>
void for_each_in_memory_order(const Tensor& t, F&& f) {
  if (t.numel() == 0) return;
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.size(d) != 1) dims.push_back(d);
  const auto& st = t.impl()->strides;
  std::stable_sort(dims.begin(), dims.end(), [&](int64_t a, int64_t b) {
    return std::abs(st[static_cast<size_t>(a)]) > std::abs(st[static_cast<size_t>(b)]);
  });
  std::vector<int64_t> sizes, strides;
  for (int64_t d : dims) {
    sizes.push_back(t.size(d));
    strides.push_back(st[static_cast<size_t>(d)]);
  }
  const std::array<const int64_t*, 1> s{strides.data()};
  detail::for_each_element<1>(sizes, s, [&](const std::array<int64_t, 1>& off) { f(off[0]); });
}

// Calls gen(generator) for every element of `t` (any strides) in memory order and stores the
// result; holds the generator lock for the whole tensor.
template <typename T, typename Gen>
void fill_serial(const Tensor& t, Gen&& gen) {
  auto& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  T* base = static_cast<T*>(t.impl()->data());
  for_each_in_memory_order(t, [&](int64_t off) { base[off] = gen(g); });
}

// ---- normal ---------------------------------------------------------------------------------------

// One scalar standard-normal draw followed by the affine map, in double: Box-Muller on two
// 53-bit uniforms, the first giving the angle, the second the radius; the sine half of the
// pair is kept for the next scalar draw (PyTorch's at::normal_distribution<double>).
double normal_scalar(GlobalGenerator& g, double mean, double std) {
  double z;
  if (g.next_normal) {
    z = *g.next_normal;
    g.next_normal.reset();
  } else {
    const double u1 = uniform01<double>(g);
    const double u2 = uniform01<double>(g);
    const double r = std::sqrt(-2.0 * std::log(1.0 - u2));
    const double theta = 2.0 * std::numbers::pi * u1;
    g.next_normal = r * std::sin(theta);
    z = r * std::cos(theta);
  }
  return std::fma(z, std, mean);
}

// Box-Muller over a block of 16 uniforms, in double: element j and j+8 come from the pair
// (data[j], data[j+8]) (ATen's normal_fill_16).
void normal_block16(double* data, double mean, double std) {
  for (int j = 0; j < 8; ++j) {
    const double u1 = 1.0 - data[j];  // (0, 1]: the log is finite
    const double u2 = data[j + 8];
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double theta = static_cast<double>(2.0f) * std::numbers::pi * u2;
    data[j] = std::fma(radius * std::cos(theta), std, mean);
    data[j + 8] = std::fma(radius * std::sin(theta), std, mean);
  }
}

// float32 log and sine/cosine as PyTorch's AVX2 normal kernel computes them (the Cephes
// polynomials of avx_mathfun.h, with the multiply-adds that GCC fuses in that kernel fused
// here with std::fma), so float32 randn reproduces PyTorch bit for bit. Valid for x in (0, 1].
[[gnu::always_inline]] inline float cephes_log(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 127) + 1.0f;
  // The mantissa, scaled into [0.5, 1).
  float m = std::bit_cast<float>((bits & ~0x7f800000u) | std::bit_cast<uint32_t>(0.5f));
  const bool small = m < 0.707106781186547524f;
  const float extra = small ? m : 0.0f;
  m = m - 1.0f;
  e = e - (small ? 1.0f : 0.0f);
  m = m + extra;
  const float z = m * m;
  float y = 7.0376836292E-2f;
  for (float c : {-1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f, 1.4249322787E-1f, -1.6668057665E-1f,
                  2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f})
    y = std::fma(y, m, c);
  y = y * m;
  y = std::fma(y, z, e * -2.12194440e-4f);
  y = std::fma(-z, 0.5f, y);
  m = m + y;
  return std::fma(e, 0.693359375f, m);
}

// Sine and cosine of theta in [0, 2*pi) (the sign handling of negative angles is not needed).
[[gnu::always_inline]] inline void cephes_sincos(float theta, float& s, float& c) {
  const float ax = std::fabs(theta);
  int32_t j = static_cast<int32_t>(ax * 1.27323954473516f);  // 4/pi, truncated
  j = (j + 1) & ~1;
  const float y = static_cast<float>(j);
  const uint32_t sin_sign = (std::bit_cast<uint32_t>(theta) & 0x80000000u) ^ (static_cast<uint32_t>(j & 4) << 29);
  const uint32_t cos_sign = static_cast<uint32_t>(~(j - 2) & 4) << 29;
  const bool use_sin_poly = (j & 2) == 0;
  // x - y * pi/4 in three pieces, each product fused into its subtraction.
  float x = std::fma(y, -0.78515625f, ax);
  x = std::fma(y, -2.4187564849853515625e-4f, x);
  x = std::fma(y, -3.77489497744594108e-8f, x);
  const float z = x * x;
  float yc = std::fma(2.443315711809948E-005f, z, -1.388731625493765E-003f);
  yc = std::fma(yc, z, 4.166664568298827E-002f);
  yc = yc * z;
  const float half_z = z * 0.5f;
  yc = std::fma(yc, z, -half_z);
  yc = yc + 1.0f;
  float ys = std::fma(-1.9515295891E-4f, z, 8.3321608736E-3f);
  ys = std::fma(ys, z, -1.6666654611E-1f);
  ys = ys * z;
  ys = std::fma(x, ys, x);
  // The kernel's branch-free selection, step for step (it decides the sign of zeros).
  const float sin_part_s = use_sin_poly ? ys : 0.0f;
  const float sin_part_c = use_sin_poly ? 0.0f : yc;
  ys = ys - sin_part_s;
  yc = yc - sin_part_c;
  s = std::bit_cast<float>(std::bit_cast<uint32_t>(sin_part_c + sin_part_s) ^ sin_sign);
  c = std::bit_cast<float>(std::bit_cast<uint32_t>(yc + ys) ^ cos_sign);
}

[[gnu::always_inline]] inline void normal_block16(float* data, float mean, float std) {
  const float two_pi = static_cast<float>(2.0f * std::numbers::pi);
  for (int j = 0; j < 8; ++j) {
    const float u1 = 1.0f - data[j];
    const float u2 = data[j + 8];
    const float radius = std::sqrt(-2.0f * cephes_log(u1));
    float s, c;
    cephes_sincos(two_pi * u2, s, c);
    data[j] = std::fma(radius * c, std, mean);
    data[j + 8] = std::fma(radius * s, std, mean);
  }
}

// Normal values for a contiguous tensor of at least 16 elements (ATen's normal_fill): all
// uniforms first, then Box-Muller in blocks of 16; a tail shorter than 16 recomputes the last
// 16 elements from 16 fresh uniforms.
// The Box-Muller transform of `count` blocks of 16. The float32 blocks make some twenty fused
// multiply-adds per value: on a CPU with FMA they run as instructions rather than calls to the
// C library's fma (the same exactly rounded results either way; contraction is off in this file,
// so the FMA target adds no fusion of its own).
template <typename T>
void normal_blocks(T* data, int64_t count, T mean, T std) {
  for (int64_t b = 0; b < count; ++b) normal_block16(data + 16 * b, mean, std);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
[[gnu::target("fma")]] void normal_blocks_fma(float* data, int64_t count, float mean, float std) {
  for (int64_t b = 0; b < count; ++b) normal_block16(data + 16 * b, mean, std);
}

template <>
void normal_blocks<float>(float* data, int64_t count, float mean, float std) {
  static const bool has_fma = __builtin_cpu_supports("fma");
  if (has_fma) {
    normal_blocks_fma(data, count, mean, std);
    return;
  }
  for (int64_t b = 0; b < count; ++b) normal_block16(data + 16 * b, mean, std);
}
#endif

template <typename T>
void normal_fill_blocks(GlobalGenerator& g, T* data, int64_t n, T mean, T std) {
  for (int64_t i = 0; i < n; ++i) data[i] = uniform01<T>(g);
  normal_blocks<T>(data, n / 16, mean, std);
  if (n % 16 != 0) {
    T* tail = data + n - 16;
    for (int i = 0; i < 16; ++i) tail[i] = uniform01<T>(g);
    normal_blocks<T>(tail, 1, mean, std);
  }
}

template <typename T>
void fill_normal(const Tensor& t, double mean, double std) {
  if (t.numel() >= 16 && t.is_contiguous()) {
    auto& g = generator();
    std::lock_guard<std::mutex> lock(g.mutex);
    normal_fill_blocks<T>(g, static_cast<T*>(t.impl()->data()), t.numel(), static_cast<T>(mean),
                          static_cast<T>(std));
    return;
  }
  fill_serial<T>(t, [&](GlobalGenerator& g) { return static_cast<T>(normal_scalar(g, mean, std)); });
}

// ---- uniform --------------------------------------------------------------------------------------

// from + u * (to - from) in T with one rounding for the multiply-add, as PyTorch's AVX2 build.
// Rounding can land on `to` in float32; PyTorch keeps that value and so does xgrad.
template <typename T>
void fill_uniform(const Tensor& t, double from, double to) {
  const T lo = static_cast<T>(from);
  const T width = static_cast<T>(to) - lo;
  fill_serial<T>(t, [&](GlobalGenerator& g) { return std::fma(uniform01<T>(g), width, lo); });
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
  g.reseed(seed);
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

// The state as text: a tag naming the format, the seed, the position in the block, the 624
// engine words and the cached normal value (its bit pattern, so it round-trips exactly):
//   "xgrad-mt19937-v1 <seed> <index> <w0> ... <w623> <0 | 1 hex-bits>"
namespace {
constexpr const char* kStateTag = "xgrad-mt19937-v1";
}

std::string get_rng_state() {
  auto& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  std::ostringstream os;
  os << kStateTag << ' ' << g.seed << ' ' << g.engine.index();
  for (uint32_t w : g.engine.words()) os << ' ' << w;
  if (g.next_normal)
    os << " 1 " << std::hex << std::bit_cast<uint64_t>(*g.next_normal);
  else
    os << " 0";
  return os.str();
}

void set_rng_state(const std::string& state) {
  constexpr const char* kNotAState =
      "set_rng_state: the string is not a state returned by get_rng_state ({}); pass the string get_rng_state() "
      "returned, unchanged";
  std::istringstream is(state);
  std::string tag;
  is >> tag;
  XGRAD_CHECK(!is.fail() && tag == kStateTag, ValueError, kNotAState, "it does not start with '" + std::string(kStateTag) + "'");
  uint64_t s = 0, index = 0;
  is >> s >> index;
  XGRAD_CHECK(!is.fail() && index <= Mt19937::kN, ValueError, kNotAState, "bad seed or block position");
  std::array<uint32_t, Mt19937::kN> words{};
  bool any_nonzero = false;
  for (auto& w : words) {
    uint64_t v = 0;
    is >> v;
    XGRAD_CHECK(!is.fail() && v <= 0xffffffffu, ValueError, kNotAState, "the engine words are missing or out of range");
    w = static_cast<uint32_t>(v);
    any_nonzero = any_nonzero || w != 0;
  }
  // An all-zero Mersenne Twister state produces only zeros.
  XGRAD_CHECK(any_nonzero, ValueError, kNotAState, "the engine words are all zero");
  int has_normal = -1;
  is >> has_normal;
  XGRAD_CHECK(!is.fail() && (has_normal == 0 || has_normal == 1), ValueError, kNotAState, "bad normal-cache flag");
  std::optional<double> normal;
  if (has_normal == 1) {
    uint64_t bits = 0;
    is >> std::hex >> bits;
    XGRAD_CHECK(!is.fail() && std::isfinite(std::bit_cast<double>(bits)), ValueError, kNotAState,
                "bad cached normal value");
    normal = std::bit_cast<double>(bits);
  }
  is >> std::ws;
  XGRAD_CHECK(is.eof(), ValueError, kNotAState, "trailing characters");
  auto& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.seed = s;
  g.engine.restore(words, static_cast<size_t>(index));
  g.next_normal = normal;
}

// ---- in-place samplers ------------------------------------------------------------------------------

Tensor& Tensor::uniform_(double from, double to) const {
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
  return const_cast<Tensor&>(*this);
}

Tensor& Tensor::normal_(double mean, double std) const {
  detail::check_inplace(*this, "normal_");
  detail::check_no_internal_overlap(*this, "normal_");
  check_floating(dtype(), "normal_");
  XGRAD_CHECK(std::isfinite(mean), ValueError, "normal_: mean must be finite, got {}", mean);
  XGRAD_CHECK(std >= 0.0 && std::isfinite(std), ValueError, "normal_: expects std >= 0.0, but found std {}", std);
  detail::dispatch_floating(dtype(), "normal_", [&]<typename T>() { fill_normal<T>(*this, mean, std); });
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
}

Tensor& Tensor::bernoulli_(double p) const {
  detail::check_inplace(*this, "bernoulli_");
  detail::check_no_internal_overlap(*this, "bernoulli_");
  XGRAD_CHECK(p >= 0.0 && p <= 1.0, ValueError, "bernoulli_: expects p to be in [0, 1], but got p={}", p);
  // One 53-bit uniform per element, 1 where it is below p (PyTorch's CPU kernel without MKL).
  detail::dispatch_all(dtype(), "bernoulli_", [&]<typename T>() {
    fill_serial<T>(*this, [&](GlobalGenerator& g) { return static_cast<T>(uniform01<double>(g) < p); });
  });
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
}

// ---- random_ ---------------------------------------------------------------------------------------
//
// PyTorch's CPU random_ (ATen's random_from_to_impl and the uniform_int distributions): one
// 32-bit draw per element, or one 64-bit draw when the range needs it, reduced modulo the
// range; elements in memory order, as every serial sampler here.

namespace {

// Largest integer a floating dtype holds with every smaller integer: 2^24 for float32, 2^53 for
// float64 (std::numeric_limits<T>::digits bits of mantissa).
template <typename T>
constexpr int64_t exact_int_max() {
  return int64_t{1} << std::numeric_limits<T>::digits;
}

// PyTorch's update_from / update_to for floating dtypes: moves a bound that rounds outward
// when cast to T to the nearest value inside the range, so no draw can round onto `to`.
template <typename T>
int64_t move_from_inward(int64_t from) {
  const auto from_plus_1 = static_cast<int64_t>(static_cast<T>(from + 1));
  if (from_plus_1 < from) {
    int64_t a = std::abs(from + 1);
    int n = 0;
    while (a >>= 1) ++n;
    from = from_plus_1 + (int64_t{1} << (n - std::numeric_limits<T>::digits + 1));
  }
  return from;
}
template <typename T>
int64_t move_to_inward(int64_t to) {
  const auto to_minus_1 = static_cast<int64_t>(static_cast<T>(to - 1));
  if (to_minus_1 >= to) {
    int64_t a = std::abs(to - 1);
    int n = 0;
    while (a >>= 1) ++n;
    to = to_minus_1 - (int64_t{1} << (n - std::numeric_limits<T>::digits + 1));
  }
  return to;
}

// PyTorch's check_from_to_in_range: both ends must be values of the dtype; a floating dtype
// beyond its exact-integer range warns (as PyTorch) because the values are no longer uniform.
void check_random_bounds(ScalarType dtype, int64_t from, int64_t to_inc) {
  detail::dispatch_all(dtype, "random_", [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>) {
      // Every int64 is inside float32 / float64's range; only precision matters.
      constexpr int64_t lim = exact_int_max<T>();
      if (from < -lim || from > lim)
        XGRAD_WARN("random_: from={} is out of bounds [-(2^{}), 2^{}]; {} represents a discrete uniform distribution "
                   "only within this range",
                   from, std::numeric_limits<T>::digits, std::numeric_limits<T>::digits, dtype_name(dtype));
      if (to_inc < -lim || to_inc > lim)
        XGRAD_WARN("random_: to - 1={} is out of bounds [-(2^{}), 2^{}]; {} represents a discrete uniform "
                   "distribution only within this range",
                   to_inc, std::numeric_limits<T>::digits, std::numeric_limits<T>::digits, dtype_name(dtype));
    } else {
      const auto lo = static_cast<int64_t>(std::numeric_limits<T>::lowest());
      const auto hi = static_cast<int64_t>(std::numeric_limits<T>::max());
      XGRAD_CHECK(from >= lo && from <= hi, ValueError, "random_: from={} is out of bounds for {}", from,
                  dtype_name(dtype));
      XGRAD_CHECK(to_inc >= lo && to_inc <= hi, ValueError, "random_: to - 1={} is out of bounds for {}", to_inc,
                  dtype_name(dtype));
    }
  });
}

// Fills `t` with base + (draw mod range); a 64-bit draw when range >= 2^32 (except for bool,
// as PyTorch's uniform_int_from_to_distribution).
void fill_random_from_to(const Tensor& t, uint64_t range, int64_t base) {
  detail::dispatch_all(t.dtype(), "random_", [&]<typename T>() {
    const bool wide = !std::is_same_v<T, bool> && range >= (uint64_t{1} << 32);
    fill_serial<T>(t, [&](GlobalGenerator& g) {
      const uint64_t draw = wide ? g.random64() : g.random();
      // Unsigned arithmetic: (draw % range) + base wraps exactly as PyTorch's uint64 sum.
      return static_cast<T>(static_cast<int64_t>(draw % range + static_cast<uint64_t>(base)));
    });
  });
}

}  // namespace

Tensor& Tensor::random_() const {
  detail::check_inplace(*this, "random_");
  detail::check_no_internal_overlap(*this, "random_");
  // [0, 2^digits] for floating dtypes, [0, INT64_MAX] for int64, {0, 1} for bool; a 64-bit draw
  // for float64 and int64, a 32-bit one otherwise (PyTorch's uniform_int_distribution).
  detail::dispatch_all(dtype(), "random_", [&]<typename T>() {
    fill_serial<T>(*this, [](GlobalGenerator& g) {
      if constexpr (std::is_same_v<T, bool>) {
        return static_cast<bool>(g.random() & 1u);
      } else if constexpr (detail::is_int_v<T>) {
        // [0, max of T]: a 64-bit draw for int64, a 32-bit one for narrower integers.
        constexpr auto modulus = static_cast<uint64_t>(std::numeric_limits<T>::max()) + 1;
        const uint64_t draw = sizeof(T) == 8 ? g.random64() : g.random();
        return static_cast<T>(draw % modulus);
      } else {
        constexpr auto modulus = static_cast<uint64_t>(exact_int_max<T>()) + 1;
        const uint64_t draw = std::is_same_v<T, double> ? g.random64() : g.random();
        return static_cast<T>(draw % modulus);
      }
    });
  });
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
}

Tensor& Tensor::random_(int64_t to) const { return random_(0, to); }

Tensor& Tensor::random_(int64_t from, std::optional<int64_t> to_opt) const {
  detail::check_inplace(*this, "random_");
  detail::check_no_internal_overlap(*this, "random_");
  const ScalarType dt = dtype();
  uint64_t range = 0;
  if (to_opt) {
    int64_t to = *to_opt;
    XGRAD_CHECK(from < to, ValueError, "random_: expects 'from' to be less than 'to', but got from={} >= to={}", from,
                to);
    if (xgrad::is_floating_point(dt)) {
      // Beyond 2^62 the cast back from T could leave int64 (undefined behaviour in PyTorch too).
      XGRAD_CHECK(std::abs(from) <= (int64_t{1} << 62) && std::abs(to) <= (int64_t{1} << 62), ValueError,
                  "random_: bounds from={} and to={} are out of range for {}", from, to, dtype_name(dt));
      detail::dispatch_floating(dt, "random_", [&]<typename T>() {
        from = move_from_inward<T>(from);
        to = move_to_inward<T>(to);
      });
      XGRAD_CHECK(from < to, ValueError,
                  "random_: expects 'from' cast to {} to be less than 'to' cast to {}, but got from={} >= to={}",
                  dtype_name(dt), dtype_name(dt), from, to);
    }
    check_random_bounds(dt, from, to - 1);
    range = static_cast<uint64_t>(to) - static_cast<uint64_t>(from);
  } else if (from != std::numeric_limits<int64_t>::lowest()) {
    // [from, the largest integer of the dtype]
    int64_t to_inc = 0;
    switch (dt) {
      case ScalarType::Float: to_inc = exact_int_max<float>(); break;
      case ScalarType::Double: to_inc = exact_int_max<double>(); break;
      case ScalarType::Long: to_inc = std::numeric_limits<int64_t>::max(); break;
      case ScalarType::Bool: to_inc = 1; break;
      case ScalarType::Int: to_inc = std::numeric_limits<int32_t>::max(); break;
      case ScalarType::Short: to_inc = std::numeric_limits<int16_t>::max(); break;
      case ScalarType::Char: to_inc = std::numeric_limits<int8_t>::max(); break;
      case ScalarType::Byte: to_inc = std::numeric_limits<uint8_t>::max(); break;
      default: detail::throw_unsupported_dtype(dt, "random_");
    }
    if (xgrad::is_floating_point(dt)) {
      XGRAD_CHECK(from < to_inc && from >= -(int64_t{1} << 62), ValueError,
                  "random_: expects 'from' to be less than or equal to {} for {}, but got from={}", to_inc,
                  dtype_name(dt), from);
      detail::dispatch_floating(dt, "random_", [&]<typename T>() { from = move_from_inward<T>(from); });
      XGRAD_CHECK(from < to_inc, ValueError,
                  "random_: expects 'from' cast to {} to be less than or equal to {}, but got from={}",
                  dtype_name(dt), to_inc, from);
    }
    check_random_bounds(dt, from, to_inc);
    range = static_cast<uint64_t>(to_inc) - static_cast<uint64_t>(from) + 1;
  } else {
    // The full int64 range: the 64-bit draw itself, reinterpreted (PyTorch's full-range kernel,
    // which has no bool version).
    XGRAD_CHECK(dt != kBool, TypeError, "random_: the full 64-bit range is not supported for bool");
    detail::dispatch_all(dt, "random_", [&]<typename T>() {
      if constexpr (!std::is_same_v<T, bool>)
        fill_serial<T>(*this, [](GlobalGenerator& g) { return static_cast<T>(static_cast<int64_t>(g.random64())); });
    });
    detail::bump_version(*this);
    return const_cast<Tensor&>(*this);
  }
  fill_random_from_to(*this, range, from);
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
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
    case ScalarType::Int:
    case ScalarType::Short:
    case ScalarType::Char:
    case ScalarType::Byte:
      detail::dispatch_all(dtype, "randint", [&]<typename T>() {
        if constexpr (detail::is_int_v<T>)
          XGRAD_CHECK(std::in_range<T>(low) && std::in_range<T>(high - 1), ValueError,
                      "randint: range [{}, {}) does not fit in {}", low, high, dtype_name(dtype));
      });
      break;
    default: detail::throw_unsupported_dtype(dtype, "randint");
  }
  // high - low may exceed INT64_MAX; it always fits in uint64. As PyTorch: one 32-bit draw
  // modulo the range when the range is below 2^32, else one 64-bit draw (a slight modulo bias
  // PyTorch has too).
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  const bool wide = range >= (uint64_t{1} << 32) && dtype != kBool;
  Tensor t = make_tensor(sizes, dtype, "randint");
  detail::dispatch_all(dtype, "randint", [&]<typename T>() {
    fill_serial<T>(t, [&](GlobalGenerator& g) {
      const uint64_t draw = wide ? g.random64() : g.random();
      return static_cast<T>(static_cast<int64_t>(draw % range + static_cast<uint64_t>(low)));
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
  {
    auto& g = generator();
    std::lock_guard<std::mutex> lock(g.mutex);
    if (n < static_cast<int64_t>(std::numeric_limits<uint32_t>::max() / 20)) {
      // PyTorch's CPU shuffle: position i swaps with i + (32-bit draw mod (n - i)), front to back.
      for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
      for (int64_t i = 0; i + 1 < n; ++i) {
        const auto z = static_cast<int64_t>(g.random() % static_cast<uint64_t>(n - i));
        std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(i + z)]);
      }
    } else {
      // Past ~2^28 a 32-bit draw modulo n is visibly biased; newer PyTorch switches to the
      // "inside-out" shuffle on 64-bit draws there, and so does xgrad. (Not checked against
      // PyTorch 1.13: such a tensor is too large for the reference machine.)
      for (int64_t i = 0; i < n; ++i) {
        const auto z = static_cast<int64_t>(g.random64() % static_cast<uint64_t>(i + 1));
        perm[static_cast<size_t>(i)] = perm[static_cast<size_t>(z)];
        perm[static_cast<size_t>(z)] = i;
      }
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
