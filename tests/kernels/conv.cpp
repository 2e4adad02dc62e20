#define BOOST_TEST_MODULE conv
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include "kernels/conv.hpp"
#include "kernels/reference.hpp"

#include <xgrad/error.hpp>
#include <xgrad/parallel.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

// The convolution kernels against the scalar reference loops: every path (implicit GEMM with
// gather and shift tiles, im2col + GEMM, direct) forced on every configuration, the implicit
// tiles on every instruction set this CPU has.

using namespace xgrad::kernels;

namespace {

Conv2dShape make(int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int64_t kh, int64_t kw, int64_t stride,
                 int64_t pad, int64_t dil, int64_t groups) {
  Conv2dShape s;
  s.n = n, s.c_in = ci, s.h = h, s.w = w, s.c_out = co, s.kh = kh, s.kw = kw;
  s.sh = stride, s.sw = stride, s.ph = pad, s.pw = pad, s.dh = dil, s.dw = dil, s.groups = groups;
  s.ho = (h + 2 * pad - dil * (kh - 1) - 1) / stride + 1;
  s.wo = (w + 2 * pad - dil * (kw - 1) - 1) / stride + 1;
  return s;
}

// The same convolution with its own stride and padding per axis.
Conv2dShape with_axes(Conv2dShape s, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  s.sh = sh, s.sw = sw, s.ph = ph, s.pw = pw;
  s.ho = (s.h + 2 * ph - s.dh * (s.kh - 1) - 1) / sh + 1;
  s.wo = (s.w + 2 * pw - s.dw * (s.kw - 1) - 1) / sw + 1;
  return s;
}

template <typename T>
void compare(const std::vector<T>& got, const std::vector<T>& want, double tol, const char* what) {
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST_INFO(what << " element " << i << ": " << got[i] << " vs " << want[i]);
    BOOST_REQUIRE(std::abs(got[i] - want[i]) <= tol * (1 + std::abs(want[i])));
  }
}

template <typename T>
void check(const Conv2dShape& s, bool with_bias, double tol, ConvConfig cfg = {}) {
  std::mt19937 rng(static_cast<uint32_t>(s.n * 131 + s.c_in * 17 + s.kh));
  std::uniform_real_distribution<double> u(-1, 1);
  auto random = [&](size_t size) {
    std::vector<T> v(size);
    for (auto& e : v) e = static_cast<T>(u(rng));
    return v;
  };
  const auto x = random(static_cast<size_t>(s.n * s.c_in * s.h * s.w));
  const auto w = random(static_cast<size_t>(s.c_out * s.k_g()));
  const auto b = random(static_cast<size_t>(s.c_out));
  const auto gy = random(static_cast<size_t>(s.n * s.c_out * s.ho * s.wo));
  const T* bias = with_bias ? b.data() : nullptr;

  std::vector<T> y(gy.size()), y_ref(gy.size());
  conv2d_forward(s, x.data(), w.data(), bias, y.data(), cfg);
  reference::conv2d_forward(s, x.data(), w.data(), bias, y_ref.data());
  compare(y, y_ref, tol, "forward");

  std::vector<T> gx(x.size(), T(7)), gx_ref(x.size());  // gx is overwritten, not accumulated
  conv2d_backward_input(s, gy.data(), w.data(), gx.data(), cfg);
  reference::conv2d_backward_input(s, gy.data(), w.data(), gx_ref.data());
  compare(gx, gx_ref, tol, "grad input");

  std::vector<T> gw(w.size(), T(7)), gw_ref(w.size()), gb(b.size()), gb_ref(b.size());
  conv2d_backward_weight(s, x.data(), gy.data(), gw.data(), gb.data(), cfg);
  reference::conv2d_backward_weight(s, x.data(), gy.data(), gw_ref.data(), gb_ref.data());
  compare(gw, gw_ref, tol, "grad weight");
  compare(gb, gb_ref, tol, "grad bias");
}

const std::vector<Conv2dShape> kConfigs = {
    make(1, 1, 6, 8, 1, 1, 2, 1, 0, 1, 1),      // the chapter's edge detector (direct path)
    make(2, 3, 5, 5, 7, 5, 5, 1, 2, 1, 1),      // kernel as large as the unpadded input
    make(3, 4, 9, 7, 6, 3, 3, 1, 1, 1, 1),      // odd sizes, GEMM path
    make(2, 6, 11, 10, 4, 3, 2, 2, 1, 2, 2),    // stride, dilation, groups, rectangular kernel
    make(5, 3, 12, 12, 5, 1, 1, 1, 0, 1, 1),    // 1x1 stride 1: no im2col
    make(2, 6, 9, 9, 6, 1, 1, 2, 0, 1, 3),      // 1x1 strided with groups: im2col
    make(4, 8, 7, 9, 8, 3, 3, 1, 1, 1, 8),      // depthwise
    make(9, 5, 13, 11, 9, 3, 3, 3, 2, 1, 1),    // batch larger than kWeightChunks
    make(2, 64, 14, 14, 32, 3, 3, 1, 1, 1, 1),  // deep enough to cross the GEMM depth block
    make(1, 3, 30, 29, 13, 4, 4, 2, 3, 1, 1),   // single image: threads inside the GEMM
    make(3, 5, 17, 23, 37, 3, 5, 1, 2, 2, 1),   // channels past two vectors, dilated, asymmetric kernel
    make(2, 4, 8, 8, 6, 3, 3, 1, 4, 1, 1),      // padding beyond the kernel extent (cropping in grad-input)
    make(1, 3, 70, 45, 5, 3, 3, 1, 1, 1, 1),    // one image split into blocks of positions
    make(6, 6, 14, 14, 16, 5, 5, 1, 0, 1, 1),   // LeNet's second layer, in place (no padding copy)
    // One-vector gather tiles (16 channels on AVX-512) summing the depth's halves over runs of
    // 3 taps (forward) and 3 or 5 positions (grad-weight, one block of 90, blocks of 240 + 160).
    make(2, 2, 10, 9, 16, 3, 3, 1, 1, 1, 1),
    make(2, 2, 20, 20, 16, 3, 3, 1, 1, 1, 1),
    // Strided grad-input on phase gather tiles: channels past two vectors with groups, a kernel
    // narrower than the stride (phases without taps), a single image (tasks per phase), and
    // different strides and paddings per axis.
    make(2, 74, 11, 13, 6, 3, 3, 2, 1, 1, 2),
    make(3, 20, 10, 9, 17, 2, 2, 3, 0, 1, 1),
    make(1, 18, 13, 12, 9, 5, 5, 2, 2, 1, 1),
    with_axes(make(4, 17, 15, 14, 8, 4, 3, 1, 1, 1, 1), 3, 2, 2, 0),
    // Stride 2 x 2 over whole images: phase planes interleaved into dX rows, with groups and an
    // odd width, padding 0 (the even column phase first), and rows of 35 and 18 column pairs
    // (whole vectors and an overlapping last one on every ISA).
    make(4, 20, 11, 13, 6, 3, 3, 2, 1, 1, 2),
    make(5, 17, 12, 10, 35, 3, 3, 2, 0, 1, 1),
    make(4, 3, 6, 70, 16, 3, 3, 2, 1, 1, 1),
    make(4, 6, 9, 36, 8, 5, 5, 2, 2, 1, 1),
};

const ConvAlgo kAlgos[] = {ConvAlgo::kAuto, ConvAlgo::kIm2col, ConvAlgo::kGather, ConvAlgo::kShift, ConvAlgo::kScatter};

// The instruction sets of the implicit tiles this CPU can run.
std::vector<KernelIsa> available_isas() {
  const auto avail = xsimd::available_architectures();
  std::vector<KernelIsa> isas = {KernelIsa::kSse2};
  if (avail.fma3_avx2) isas.push_back(KernelIsa::kAvx2);
  if (avail.avx512f) isas.push_back(KernelIsa::kAvx512f);
  return isas;
}

}  // namespace

BOOST_AUTO_TEST_CASE(float_all_configs_all_paths_all_isas) {
  for (const auto isa : available_isas())
    for (const auto algo : kAlgos)
      for (size_t i = 0; i < kConfigs.size(); ++i) {
        BOOST_TEST_CONTEXT("config " << i << ", algo " << static_cast<int>(algo) << ", isa " << static_cast<int>(isa)) {
          check<float>(kConfigs[i], true, 2e-5, {algo, isa});
          check<float>(kConfigs[i], false, 2e-5, {algo, isa});
        }
      }
}

BOOST_AUTO_TEST_CASE(double_all_configs_all_paths_all_isas) {
  for (const auto isa : available_isas())
    for (const auto algo : kAlgos)
      for (size_t i = 0; i < kConfigs.size(); ++i) {
        BOOST_TEST_CONTEXT("config " << i << ", algo " << static_cast<int>(algo) << ", isa " << static_cast<int>(isa)) {
          check<double>(kConfigs[i], true, 1e-12, {algo, isa});
        }
      }
}

BOOST_AUTO_TEST_CASE(direct_path_on_every_config) {
  for (const auto& s : kConfigs) check<double>(s, true, 1e-12, {ConvAlgo::kDirect, KernelIsa::kBest});
}

BOOST_AUTO_TEST_CASE(forcing_an_isa_the_cpu_lacks_throws) {
  const auto s = kConfigs[2];
  std::vector<float> x(static_cast<size_t>(s.n * s.c_in * s.h * s.w)), w(static_cast<size_t>(s.c_out * s.k_g())),
      y(static_cast<size_t>(s.n * s.c_out * s.ho * s.wo));
  if (!xsimd::available_architectures().avx512f)
    BOOST_CHECK_THROW(conv2d_forward(s, x.data(), w.data(), static_cast<const float*>(nullptr), y.data(),
                                     {ConvAlgo::kGather, KernelIsa::kAvx512f}),
                      xgrad::ValueError);
}

BOOST_AUTO_TEST_CASE(direct_and_gemm_paths_are_both_taken) {
  BOOST_TEST(conv2d_use_direct(kConfigs[0]));
  BOOST_TEST(!conv2d_use_direct(kConfigs[2]));
}

BOOST_AUTO_TEST_CASE(chapter_corr2d) {
  // X = [[0,1,2],[3,4,5],[6,7,8]], K = [[0,1],[2,3]] -> [[19,25],[37,43]]
  const auto s = make(1, 1, 3, 3, 1, 2, 2, 1, 0, 1, 1);
  const float x[] = {0, 1, 2, 3, 4, 5, 6, 7, 8}, k[] = {0, 1, 2, 3};
  float y[4];
  conv2d_forward(s, x, k, static_cast<const float*>(nullptr), y);
  BOOST_TEST(y[0] == 19.0f);
  BOOST_TEST(y[1] == 25.0f);
  BOOST_TEST(y[2] == 37.0f);
  BOOST_TEST(y[3] == 43.0f);
}

BOOST_AUTO_TEST_CASE(im2col_pads_with_zeros) {
  // 2x2 image [[1,2],[3,4]], 2x2 kernel, padding 1 -> 3x3 output; row (i=0, j=0) of col
  // reads x[oh-1, ow-1].
  auto s = make(1, 1, 2, 2, 1, 2, 2, 1, 1, 1, 1);
  const float x[] = {1, 2, 3, 4};
  std::vector<float> col(static_cast<size_t>(s.k_g() * s.ho * s.wo), -1.0f);
  im2col(s, x, 0, col.data());
  const std::vector<float> row0 = {0, 0, 0, 0, 1, 2, 0, 3, 4};
  const std::vector<float> row3 = {1, 2, 0, 3, 4, 0, 0, 0, 0};
  BOOST_TEST(std::vector<float>(col.begin(), col.begin() + 9) == row0, boost::test_tools::per_element());
  BOOST_TEST(std::vector<float>(col.begin() + 27, col.end()) == row3, boost::test_tools::per_element());
  // col2im_add is its adjoint: every pixel is read by 4 taps, so scattering ones gives 4.
  std::vector<float> ones(col.size(), 1.0f), gx(4, 0.0f);
  col2im_add(s, ones.data(), 0, gx.data());
  BOOST_TEST(gx == std::vector<float>({4, 4, 4, 4}), boost::test_tools::per_element());
}

// The one table of the path choice (conv2d_plan): what each pass of the LeNet layers runs with
// 8-float (AVX2) tiles, and what each forced family means in every pass (conv.hpp).
BOOST_AUTO_TEST_CASE(plan_table) {
  if (!xsimd::available_architectures().fma3_avx2) return;  // the widths below are AVX2's
  auto names = [](const ConvPlan& p) {
    return std::string(conv_path_name(p.forward)) + " / " + conv_path_name(p.grad_input) + " / " +
           conv_path_name(p.grad_weight);
  };
  const ConvConfig avx2{ConvAlgo::kAuto, KernelIsa::kAvx2};
  const auto conv1 = make(256, 1, 28, 28, 6, 5, 5, 1, 2, 1, 1);
  const auto conv2 = make(256, 6, 14, 14, 16, 5, 5, 1, 0, 1, 1);
  const auto strided = make(8, 64, 56, 56, 128, 3, 3, 2, 1, 1, 1);
  const auto chapter = make(1, 1, 6, 8, 1, 1, 2, 1, 0, 1, 1);
  BOOST_TEST(names(conv2d_plan<float>(conv1, avx2)) == "shift / transposed batch winograd / dot");
  BOOST_TEST(names(conv2d_plan<float>(conv2, avx2)) == "batch winograd / transposed batch winograd / gather");
  BOOST_TEST(names(conv2d_plan<float>(strided, avx2)) == "gather / phase gather / gather");
  BOOST_TEST(names(conv2d_plan<float>(chapter, avx2)) == "direct / direct / direct");
  // Double tiles hold half the lanes: conv2's 16 output channels no longer fill two vectors; the
  // batch-lane path serves float only.
  BOOST_TEST(names(conv2d_plan<double>(conv2, avx2)) == "gather / scatter / gather");
  // Too few images for whole vectors of them: the gather tile.
  auto small_batch = conv2;
  small_batch.n = 16;
  BOOST_TEST(names(conv2d_plan<float>(small_batch, avx2)) == "gather / scatter / gather");

  auto forced = [&](ConvAlgo a, const Conv2dShape& s) { return names(conv2d_plan<float>(s, {a, KernelIsa::kAvx2})); };
  BOOST_TEST(forced(ConvAlgo::kDirect, conv2) == "direct / direct / direct");
  BOOST_TEST(forced(ConvAlgo::kIm2col, conv2) == "im2col / im2col / im2col");
  BOOST_TEST(forced(ConvAlgo::kGather, conv2) == "gather / transposed gather / gather");
  BOOST_TEST(forced(ConvAlgo::kShift, conv2) == "shift / transposed shift / dot");
  BOOST_TEST(forced(ConvAlgo::kScatter, conv2) == "shift / scatter / dot");
  // Families that need stride 1 fall back to the automatic choice of that pass.
  BOOST_TEST(forced(ConvAlgo::kGather, strided) == "gather / phase gather / gather");
  BOOST_TEST(forced(ConvAlgo::kShift, strided) == names(conv2d_plan<float>(strided, avx2)));
  BOOST_TEST(forced(ConvAlgo::kScatter, strided) == names(conv2d_plan<float>(strided, avx2)));
  // Batch winograd forces the forward and the grad-input (conv1's forward too, where auto keeps
  // shift), and serves only kernels 5 wide at stride 1.
  BOOST_TEST(forced(ConvAlgo::kBatchWinograd, conv1) == "batch winograd / transposed batch winograd / dot");
  BOOST_TEST(forced(ConvAlgo::kBatchWinograd, strided) == names(conv2d_plan<float>(strided, avx2)));

  // Pointwise: one GEMM per image, through im2col's packing with 8-float tiles.
  const auto pointwise = make(8, 256, 28, 28, 64, 1, 1, 1, 0, 1, 1);
  BOOST_TEST(names(conv2d_plan<float>(pointwise, avx2)) == "im2col / im2col / gather");

  // 16-float (AVX-512) tiles: one full vector of 16 output channels takes the gather tile in the
  // grad-weight pass (dot ran LeNet conv2 4.5x slower there), and the pointwise forward reads X
  // in place through it; both LeNet forwards take the batch-lane path, conv2's grad-input too
  // (conv1's transposed convolution needs more than 1 MiB of scratch per 16 images), and conv1's
  // 6 channels stay on dot for grad-weight.
  if (!xsimd::available_architectures().avx512f) return;
  const ConvConfig avx512{ConvAlgo::kAuto, KernelIsa::kAvx512f};
  BOOST_TEST(names(conv2d_plan<float>(conv1, avx512)) == "batch winograd / scatter / dot");
  BOOST_TEST(names(conv2d_plan<float>(conv2, avx512)) == "batch winograd / transposed batch winograd / gather");
  BOOST_TEST(names(conv2d_plan<float>(strided, avx512)) == "gather / phase gather / gather");
  BOOST_TEST(names(conv2d_plan<float>(pointwise, avx512)) == "gather / im2col / gather");
  BOOST_TEST(names(conv2d_plan<double>(conv2, avx512)) == "gather / scatter / gather");
}

// ---- Winograd F(2x2, 3x3) and F(2x2, 5x5) -----------------------------------------------------

namespace {

std::string plan_names(const ConvPlan& p) {
  return std::string(conv_path_name(p.forward)) + " / " + conv_path_name(p.grad_input) + " / " +
         conv_path_name(p.grad_weight);
}

// Forward and grad-input on a forced Winograd path (kWinograd, kBatchWinograd: forward, and
// grad-input where the transposed convolution's padding kh - 1 - ph, kw - 1 - pw is not negative;
// otherwise grad-input on auto's choice) against the reference loops. Winograd's
// rounding error is not relative to the result but to the magnitude of the sum it computes
// (the transforms add and subtract inputs, weights and products before cancelling), so each
// element is allowed `ulps` units of roundoff of sum |x| |w| (+ |bias|), computed by the
// reference on the absolute values.
template <typename T>
void check_winograd(const Conv2dShape& s, bool with_bias, KernelIsa isa, double ulps,
                    ConvAlgo algo = ConvAlgo::kWinograd) {
  std::mt19937 rng(static_cast<uint32_t>(s.n * 7 + s.c_in * 13 + s.ph * 5 + s.h));
  std::uniform_real_distribution<double> u(-1, 1);
  auto random = [&](size_t size) {
    std::vector<T> v(size);
    for (auto& e : v) e = static_cast<T>(u(rng));
    return v;
  };
  auto abs_of = [](std::vector<T> v) {
    for (auto& e : v) e = std::abs(e);
    return v;
  };
  const ConvConfig cfg{algo, isa};
  if (algo == ConvAlgo::kWinograd) {
    BOOST_TEST(plan_names(conv2d_plan<T>(s, cfg)).rfind("winograd / transposed winograd / ", 0) == 0);
  } else {
    const bool transposed = s.ph <= s.kh - 1 && s.pw <= s.kw - 1;  // its padding is >= 0
    const auto plan = conv2d_plan<T>(s, cfg);
    BOOST_TEST(conv_path_name(plan.forward) == std::string("batch winograd"));
    BOOST_TEST((plan.grad_input == ConvPath::kTransposedBatchWinograd) == transposed, plan_names(plan));
  }
  const auto x = random(static_cast<size_t>(s.n * s.c_in * s.h * s.w));
  const auto w = random(static_cast<size_t>(s.c_out * s.k_g()));
  const auto b = random(static_cast<size_t>(s.c_out));
  const auto gy = random(static_cast<size_t>(s.n * s.c_out * s.ho * s.wo));
  const T* bias = with_bias ? b.data() : nullptr;
  const auto ax = abs_of(x), aw = abs_of(w), ab = abs_of(b), agy = abs_of(gy);
  const double eps = std::numeric_limits<T>::epsilon();
  auto compare_scaled = [&](const std::vector<T>& got, const std::vector<T>& want, const std::vector<T>& mag,
                            const char* what) {
    BOOST_REQUIRE_EQUAL(got.size(), want.size());
    // The worst element in units of roundoff of its magnitude (one check: formatting a message
    // per element would dominate the test's time under the sanitizers).
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const double err = std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
      const double r = err / (eps * std::max(static_cast<double>(mag[i]), std::numeric_limits<double>::min()));
      if (!(r <= worst)) worst = r, at = i;  // NaN sticks
    }
    BOOST_TEST_INFO(what << " element " << at << ": " << got[at] << " vs " << want[at] << " (magnitude " << mag[at]
                         << ")");
    BOOST_TEST(worst <= ulps);
  };

  std::vector<T> y(gy.size(), T(7)), y_ref(gy.size()), y_mag(gy.size());
  conv2d_forward(s, x.data(), w.data(), bias, y.data(), cfg);
  reference::conv2d_forward(s, x.data(), w.data(), bias, y_ref.data());
  reference::conv2d_forward(s, ax.data(), aw.data(), with_bias ? ab.data() : nullptr, y_mag.data());
  compare_scaled(y, y_ref, y_mag, "forward");

  std::vector<T> gx(x.size(), T(7)), gx_ref(x.size()), gx_mag(x.size());
  conv2d_backward_input(s, gy.data(), w.data(), gx.data(), cfg);
  reference::conv2d_backward_input(s, gy.data(), w.data(), gx_ref.data());
  reference::conv2d_backward_input(s, agy.data(), aw.data(), gx_mag.data());
  compare_scaled(gx, gx_ref, gx_mag, "grad input");
}

Conv2dShape make3x3(int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int64_t pad) {
  return make(n, ci, h, w, co, 3, 3, 1, pad, 1, 1);
}

// Padding 0, 1 and 2; odd and even output sizes (edge tiles with one row / column); batch 1 and
// 3; channel counts that are not multiples of any vector width; one deep enough to cross the
// GEMM's depth block; groups; an asymmetric output (PyTorch's padding='same' for an even
// dilated kernel is not 3x3, so here: one extra output row / column at the bottom / right).
std::vector<Conv2dShape> winograd_shapes() {
  std::vector<Conv2dShape> v = {
      make3x3(1, 3, 7, 9, 5, 1),     // odd outputs 7x9: edge tiles in both directions
      make3x3(3, 5, 8, 6, 7, 0),     // padding 0: 6x4 outputs
      make3x3(1, 17, 5, 8, 19, 2),   // padding 2: 7x10 outputs
      make3x3(3, 11, 6, 7, 13, 1),   // even x odd
      make3x3(1, 260, 3, 4, 5, 1),   // depth 260 > the GEMM's KC = 256
      make3x3(1, 3, 6, 46, 4, 1),    // 23 tiles per row: whole vectors inside a row, vectors and
                                     // panels straddling rows, several panels (every ISA)
      make(2, 6, 9, 7, 4, 3, 3, 1, 1, 1, 2),  // two groups
  };
  Conv2dShape asym = make3x3(2, 4, 6, 5, 6, 1);
  asym.ho += 1;  // padding (1, 2) rows, (1, 1) columns
  v.push_back(asym);
  return v;
}

Conv2dShape make5x5(int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int64_t pad) {
  return make(n, ci, h, w, co, 5, 5, 1, pad, 1, 1);
}

// F(2x2, 5x5): padding 0 .. 4 (the grad-input's transposed convolution takes 4 .. 0), odd and
// even output sizes, images split across blocks and vectors straddling images, output channel
// counts that take the 4 x 3 register tile (16, 8) and the 6 x 2 one (6, 5, 7), groups, and an
// asymmetric output.
std::vector<Conv2dShape> winograd5_shapes() {
  std::vector<Conv2dShape> v = {
      make5x5(3, 6, 14, 14, 16, 0),  // LeNet conv2's shape on 3 images: 10x10 outputs
      make5x5(2, 3, 9, 8, 5, 1),     // odd x even outputs 7x6
      make5x5(1, 5, 7, 11, 8, 2),    // padding 2: 7x11
      make5x5(2, 4, 6, 5, 7, 3),     // padding 3: 8x7
      make5x5(1, 2, 5, 9, 6, 4),     // padding 4: 9x13
      make5x5(1, 3, 5, 38, 4, 1),    // 18 tiles per row: several vectors per row, every ISA
      make(2, 6, 9, 8, 8, 5, 5, 1, 2, 1, 2),  // two groups
  };
  Conv2dShape asym = make5x5(2, 3, 8, 7, 5, 2);
  asym.wo += 1;  // padding (2, 2) rows, (2, 3) columns
  v.push_back(asym);
  return v;
}

// The bound, in units of roundoff of sum |x| |w|: the measured errors lie between 1 and 4 on
// these shapes (a bound of 1 fails, 4 passes); each output passes through three transforms of
// up to four additions around the dot product, so a few ulps of the magnitude is the expected
// size, and 16 leaves room without hiding a wrong tap (off by O(1) of the magnitude).
constexpr double kWinogradUlps = 16;
// F(2x2, 5x5): B^T has coefficients up to 5 and G up to 16/24, so each output passes through
// sums of up to 36 scaled inputs and products: the measured errors reach 34 ulps of the
// magnitude on winograd5_shapes (float and double, every ISA); 128 leaves room and still fails
// a wrong tap by a factor of 10^4 in float.
constexpr double kWinograd5Ulps = 128;

// Every shape on every ISA: float with and without bias, double with bias on even shapes.
void check_winograd_shapes(const std::vector<Conv2dShape>& shapes, double ulps, const char* what) {
  for (const auto isa : available_isas())
    for (size_t i = 0; i < shapes.size(); ++i) {
      BOOST_TEST_CONTEXT(what << " shape " << i << ", isa " << static_cast<int>(isa)) {
        check_winograd<float>(shapes[i], true, isa, ulps);
        check_winograd<float>(shapes[i], false, isa, ulps);
        check_winograd<double>(shapes[i], i % 2 == 0, isa, ulps);
      }
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(winograd_forward_and_grad_input_all_isas) {
  check_winograd_shapes(winograd_shapes(), kWinogradUlps, "winograd");
}

BOOST_AUTO_TEST_CASE(winograd5_forward_and_grad_input_all_isas) {
  check_winograd_shapes(winograd5_shapes(), kWinograd5Ulps, "winograd 5x5");
  // Enough images that the first block ends inside an image (72 tile rows of 5 with AVX2's
  // 24-tile panels, 86 with AVX-512's 48: block_rows' fill of the 1 MiB budget's 91): the input
  // transform's segments start and end mid-image.
  check_winograd<float>(make5x5(19, 8, 14, 14, 8, 0), true, KernelIsa::kBest, kWinograd5Ulps);
}

BOOST_AUTO_TEST_CASE(winograd_is_bit_identical_for_any_thread_count) {
  const auto saved = xgrad::get_num_threads();
  // Several blocks of tile rows (parallel tasks), and a single block (threads inside the GEMM);
  // 5x5: LeNet's conv2 on 80 images (two blocks, one splitting an image), and a single block.
  for (const auto& s : {make3x3(3, 32, 24, 23, 32, 1), make3x3(1, 16, 9, 9, 20, 1), make5x5(80, 6, 14, 14, 16, 0),
                        make5x5(2, 5, 9, 9, 7, 2)}) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> x(static_cast<size_t>(s.n * s.c_in * s.h * s.w)), w(static_cast<size_t>(s.c_out * s.k_g())),
        b(static_cast<size_t>(s.c_out)), gy(static_cast<size_t>(s.n * s.c_out * s.ho * s.wo));
    for (auto* v : {&x, &w, &b, &gy})
      for (auto& e : *v) e = u(rng);
    const ConvConfig cfg{ConvAlgo::kWinograd, KernelIsa::kBest};
    std::vector<float> y1, gx1;
    for (int threads : {1, 2, 3}) {
      xgrad::set_num_threads(threads);
      std::vector<float> y(gy.size()), gx(x.size());
      conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), cfg);
      conv2d_backward_input(s, gy.data(), w.data(), gx.data(), cfg);
      if (threads == 1) {
        y1 = y, gx1 = gx;
      } else {
        BOOST_TEST_CONTEXT(threads << " threads") {
          BOOST_TEST(std::memcmp(y.data(), y1.data(), y.size() * sizeof(float)) == 0);
          BOOST_TEST(std::memcmp(gx.data(), gx1.data(), gx.size() * sizeof(float)) == 0);
        }
      }
    }
  }
  xgrad::set_num_threads(saved);
}

// kAuto takes Winograd for ResNet's 3x3 64 -> 64 layer (bench_conv's shape) in both passes it
// serves, for 5x5 layers with >= 16 channels each way unless the output channels are fewer than
// half the input ones (pass by pass: the grad-input runs the transposed convolution), and never
// for LeNet's 5x5 layer (F(2x2, 5x5) measured slower than the gather and scatter paths there),
// strided or dilated 3x3 layers, or few channels. Forcing it serves LeNet's conv2 in both passes
// (padding 0 forward, 4 in the transposed grad-input).
BOOST_AUTO_TEST_CASE(winograd_plan_choice) {
  for (const auto isa : available_isas()) {
    const ConvConfig cfg{ConvAlgo::kAuto, isa};
    const auto resnet = make3x3(8, 64, 56, 56, 64, 1);
    const auto rf = conv2d_plan<float>(resnet, cfg), rd = conv2d_plan<double>(resnet, cfg);
    BOOST_TEST(conv_path_name(rf.forward) == std::string("winograd"));
    BOOST_TEST(conv_path_name(rf.grad_input) == std::string("transposed winograd"));
    BOOST_TEST(conv_path_name(rd.forward) == std::string("winograd"));
    BOOST_TEST(conv_path_name(rd.grad_input) == std::string("transposed winograd"));
    const auto five = make(8, 64, 28, 28, 64, 5, 5, 1, 2, 1, 1);
    BOOST_TEST(plan_names(conv2d_plan<float>(five, cfg)).rfind("winograd / transposed winograd / ", 0) == 0);
    const auto widen = make(8, 16, 28, 28, 64, 5, 5, 1, 2, 1, 1), narrow5 = make(8, 64, 28, 28, 16, 5, 5, 1, 2, 1, 1);
    BOOST_TEST(plan_names(conv2d_plan<float>(widen, cfg)).rfind("winograd / transposed gather / ", 0) == 0);
    BOOST_TEST(plan_names(conv2d_plan<float>(narrow5, cfg)).rfind("gather / transposed winograd / ", 0) == 0);
    const auto lenet2 = make(256, 6, 14, 14, 16, 5, 5, 1, 0, 1, 1);
    const auto strided = make(8, 64, 56, 56, 128, 3, 3, 2, 1, 1, 1);
    const auto dilated = make(8, 64, 56, 56, 64, 3, 3, 1, 2, 2, 1);
    const auto narrow = make3x3(8, 3, 56, 56, 64, 1);
    for (const auto& s : {lenet2, strided, dilated, narrow}) {
      const auto p = conv2d_plan<float>(s, cfg);
      BOOST_TEST_INFO(plan_names(p));
      BOOST_TEST((p.forward != ConvPath::kWinograd && p.grad_input != ConvPath::kTransposedWinograd));
    }
    BOOST_TEST(plan_names(conv2d_plan<float>(lenet2, {ConvAlgo::kWinograd, isa})).rfind(
                   "winograd / transposed winograd / ", 0) == 0);
    // Forcing it where it cannot serve falls back to the automatic choice, pass by pass: a 5x5
    // with padding 5 (its transposed convolution would need padding -1), a 7x7.
    const auto pad5 = make(2, 3, 8, 8, 4, 5, 5, 1, 5, 1, 1);
    const auto k7 = make(2, 3, 12, 12, 4, 7, 7, 1, 3, 1, 1);
    for (const auto& s : {strided, dilated, pad5, k7})
      BOOST_TEST(plan_names(conv2d_plan<float>(s, {ConvAlgo::kWinograd, isa})) == plan_names(conv2d_plan<float>(s, cfg)));
  }
}

// ---- Batch-lane Winograd F(2, 5) ---------------------------------------------------------------

namespace {

// Batches of whole vectors of images and a short last group (zero lanes) on every ISA (4, 8 or
// 16 floats, 2, 4 or 8 doubles); odd output widths (the last tile's second output dropped);
// rows wider than one register tile (5 or 7 tiles), split into near-equal ones; kernel heights other
// than 5; padding on either axis, wider than the kernel; output channels not a multiple of the
// 4-channel register tile; outputs that stop before the input does (rows and columns never
// read) and that run past it (asymmetric padding).
std::vector<Conv2dShape> batch_winograd_shapes() {
  std::vector<Conv2dShape> v = {
      make5x5(35, 6, 14, 14, 16, 0),                                    // LeNet conv2, 35 images
      make5x5(3, 2, 9, 8, 5, 1),                                        // one short group: 7x6 outputs
      with_axes(make(20, 3, 7, 11, 6, 3, 5, 1, 0, 1, 1), 1, 1, 1, 2),  // 3 x 5 kernel, 7x11 outputs
      make5x5(17, 2, 6, 30, 7, 2),                                      // 30 wide: 15 tiles, 3 register tiles
      make5x5(9, 1, 5, 34, 18, 2),                                      // 17 tiles: 5 + 4 + 4 + 4 (6 + 6 + 5 with 3 x 7 tiles); 18 channels
      with_axes(make5x5(5, 3, 6, 7, 4, 0), 1, 1, 0, 6),                 // padding 6 columns: 15 wide
      make(4, 2, 9, 9, 3, 1, 5, 1, 2, 1, 1),                            // 1 x 5 kernel
      with_axes(make5x5(18, 2, 6, 9, 3, 0), 1, 1, 6, 1),                // padding 6 rows: 14 x 7 outputs
      with_axes(make5x5(21, 3, 7, 12, 5, 0), 1, 1, 2, 0),               // rows padded, columns not: rows
                                                                        // transposed straight into place
      make5x5(19, 2, 6, 8, 7, 4),  // padding 4: its grad-input's transposed convolution is unpadded
  };
  Conv2dShape crop = make5x5(6, 3, 12, 13, 5, 1);
  crop.ho -= 2, crop.wo -= 3;  // bottom rows and right columns of the image never reached
  v.push_back(crop);
  Conv2dShape asym = make5x5(7, 3, 8, 7, 5, 2);
  asym.ho += 1, asym.wo += 1;  // padding (2, 3) rows and columns
  v.push_back(asym);
  return v;
}

// The 1-D F(2, 5) along each kernel row: every output passes through B^T (coefficients up to 5),
// G (up to 2/3) and A^T (up to 2) on one row of 6 inputs and products, so the error is bounded by
// the transformed terms, which can be several times sum |x| |w|. The measured errors reach 8.7
// ulps of that magnitude where many kernel rows and channels reach an output, and 49 where one or
// two rows do (the rows-padded shape, 3 channels; float and double, every ISA). 128, the 2-D
// F(2x2, 5x5)'s bound, leaves room and still fails a wrong tap by a factor of 10^4 in float.
constexpr double kBatchWinogradUlps = 128;

}  // namespace

BOOST_AUTO_TEST_CASE(batch_winograd_forward_all_isas) {
  const auto shapes = batch_winograd_shapes();
  for (const auto isa : available_isas())
    for (size_t i = 0; i < shapes.size(); ++i) {
      BOOST_TEST_CONTEXT("batch winograd shape " << i << ", isa " << static_cast<int>(isa)) {
        check_winograd<float>(shapes[i], true, isa, kBatchWinogradUlps, ConvAlgo::kBatchWinograd);
        check_winograd<float>(shapes[i], false, isa, kBatchWinogradUlps, ConvAlgo::kBatchWinograd);
        check_winograd<double>(shapes[i], i % 2 == 0, isa, kBatchWinogradUlps, ConvAlgo::kBatchWinograd);
      }
    }
}

// Each image's output is the same bits whatever the batch around it, its lane, its group and the
// thread count: LeNet conv2 on 44 images (whole groups and a short one with 16, 8 or 4 lanes) at
// 1, 2 and 3 threads, and each image alone.
BOOST_AUTO_TEST_CASE(batch_winograd_is_bit_identical_for_any_batch_and_thread_count) {
  const auto saved = xgrad::get_num_threads();
  const auto s = make5x5(44, 6, 14, 14, 16, 0);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(static_cast<size_t>(s.n * s.c_in * s.h * s.w)), w(static_cast<size_t>(s.c_out * s.k_g())),
      b(static_cast<size_t>(s.c_out));
  for (auto* v : {&x, &w, &b})
    for (auto& e : *v) e = u(rng);
  const ConvConfig cfg{ConvAlgo::kBatchWinograd, KernelIsa::kBest};
  const size_t per_in = static_cast<size_t>(s.c_in * s.h * s.w), per_out = static_cast<size_t>(s.c_out * s.ho * s.wo);
  std::vector<float> y1(per_out * static_cast<size_t>(s.n));
  for (int threads : {1, 2, 3}) {
    xgrad::set_num_threads(threads);
    std::vector<float> y(y1.size());
    conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), cfg);
    if (threads == 1)
      y1 = y;
    else
      BOOST_TEST(std::memcmp(y.data(), y1.data(), y.size() * sizeof(float)) == 0, threads << " threads");
  }
  xgrad::set_num_threads(saved);
  Conv2dShape one = s;
  one.n = 1;
  for (int64_t i : {int64_t{0}, int64_t{17}, int64_t{43}}) {
    std::vector<float> y(per_out);
    conv2d_forward(one, x.data() + static_cast<size_t>(i) * per_in, w.data(), b.data(), y.data(), cfg);
    BOOST_TEST(std::memcmp(y.data(), y1.data() + static_cast<size_t>(i) * per_out, per_out * sizeof(float)) == 0,
               "image " << i << " alone");
  }
}

// Forced, the path falls back to the automatic choice where it cannot serve the shape: a stride,
// a kernel 3 wide, or a group's scratch above 8M elements (here ~70M: 512 x 512 images).
BOOST_AUTO_TEST_CASE(batch_winograd_forced_falls_back) {
  const ConvConfig forced{ConvAlgo::kBatchWinograd, KernelIsa::kBest}, automatic{ConvAlgo::kAuto, KernelIsa::kBest};
  for (const auto& s : {make(64, 3, 20, 20, 4, 5, 5, 2, 0, 1, 1), make(64, 3, 20, 20, 4, 3, 3, 1, 1, 1, 1),
                        make5x5(64, 16, 512, 512, 8, 2)})
    BOOST_TEST(plan_names(conv2d_plan<float>(s, forced)) == plan_names(conv2d_plan<float>(s, automatic)));
  BOOST_TEST(plan_names(conv2d_plan<float>(make5x5(64, 3, 20, 20, 4, 2), forced)).rfind("batch winograd / ", 0) == 0);
}
