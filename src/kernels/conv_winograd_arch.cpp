// Winograd F(2x2, 3x3) convolution (conv_winograd.hpp) for one instruction set: this file is
// compiled once per ISA (src/kernels/meson.build), so the transform loops are vectorized with
// that ISA's flags and the GEMMs call that ISA's packed kernel directly.
#include "kernels/conv_winograd.hpp"

#include "kernels/gemm.hpp"
#include "kernels/isa.hpp"
#include "kernels/parallel.hpp"

#include <xgrad/error.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <vector>

namespace xgrad::kernels {
// Internal linkage, as gemm_impl.hpp: each ISA keeps its own copy.
namespace {
namespace winograd_detail {

// Bytes of V and M (the transformed input and the products) one block aims at: half of a
// 1 MiB L2, leaving room for the GEMM's packed panels of U and V.
constexpr int64_t kBlockBytes = int64_t{1} << 19;

// Per-thread growable scratch, 64-byte aligned.
template <typename T>
T* scratch(size_t n) {
  struct Buf {
    struct Free {
      void operator()(T* p) const { ::operator delete[](p, std::align_val_t(64)); }
    };
    std::unique_ptr<T[], Free> data;
    size_t size = 0;
  };
  thread_local Buf buf;
  if (n > buf.size) {
    XGRAD_CHECK(n <= std::numeric_limits<size_t>::max() / sizeof(T), OutOfMemoryError,
                "conv2d (winograd): out of memory asking for {} elements of scratch", n);
    buf.data.reset();
    buf.size = 0;
    // nothrow: AddressSanitizer's throwing operator new aborts instead of throwing.
    buf.data.reset(static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(64), std::nothrow)));
    if (!buf.data)
      XGRAD_THROW(OutOfMemoryError, "conv2d (winograd): out of memory asking for {} bytes of scratch", n * sizeof(T));
    buf.size = n;
  }
  return buf.data.get();
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// u[g][e][o][c] = (G g G^T)[e] for the kernel g = w[g*cog + o][c].
template <typename T>
void transform_weights(const Conv2dShape& s, const T* w, T* u) {
  const int64_t cig = s.cin_g(), cog = s.cout_g();
  const T half = T(0.5);
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t o = 0; o < cog; ++o)
      for (int64_t c = 0; c < cig; ++c) {
        const T* k = w + ((g * cog + o) * cig + c) * 9;
        T t[4][3];  // G g
        for (int j = 0; j < 3; ++j) {
          t[0][j] = k[j];
          t[1][j] = (k[j] + k[3 + j] + k[6 + j]) * half;
          t[2][j] = (k[j] - k[3 + j] + k[6 + j]) * half;
          t[3][j] = k[6 + j];
        }
        for (int i = 0; i < 4; ++i) {
          const T r[4] = {t[i][0], (t[i][0] + t[i][1] + t[i][2]) * half, (t[i][0] - t[i][1] + t[i][2]) * half,
                          t[i][2]};
          for (int j = 0; j < 4; ++j) u[((g * 16 + i * 4 + j) * cog + o) * cig + c] = r[j];
        }
      }
}

// V for one input channel and one tile row: v[e * ldv + t] = (B^T d_t B)[e] for the tw tiles of
// the row, where d_t is the 4x4 patch at input rows 2*ty - ph .. +3, columns 2*t - pw .. +3.
// `row` holds 2*tw + 2 elements, `even` / `odd` 4 * (tw + 1) each.
template <typename T>
void input_tile_row(const Conv2dShape& s, const T* xc, int64_t ty, int64_t tw, T* __restrict row,
                    T* __restrict even, T* __restrict odd, T* __restrict v, int64_t ldv) {
  const int64_t len = 2 * tw + 2;
  // Columns of the patch row that lie in the image: [lo, hi) of `row` (row[k] = x[ih][k - pw]).
  const int64_t lo = std::min<int64_t>(s.pw, len), hi = std::clamp<int64_t>(s.pw + s.w, lo, len);
  for (int r = 0; r < 4; ++r) {
    const int64_t ih = 2 * ty - s.ph + r;
    T* __restrict e = even + r * (tw + 1);
    T* __restrict o = odd + r * (tw + 1);
    if (ih < 0 || ih >= s.h) {
      std::fill(e, e + tw + 1, T(0));
      std::fill(o, o + tw + 1, T(0));
      continue;
    }
    std::fill(row, row + lo, T(0));
    if (hi > lo) std::memcpy(row + lo, xc + ih * s.w + (lo - s.pw), static_cast<size_t>(hi - lo) * sizeof(T));
    std::fill(row + hi, row + len, T(0));
    // Split into even and odd columns: tile t reads even[t], odd[t], even[t+1], odd[t+1], so the
    // transform below runs on contiguous vectors of tiles.
    for (int64_t k = 0; k <= tw; ++k) {
      e[k] = row[2 * k];
      o[k] = row[2 * k + 1];
    }
  }
  const T* __restrict e0 = even;
  const T* __restrict e1 = even + (tw + 1);
  const T* __restrict e2 = even + 2 * (tw + 1);
  const T* __restrict e3 = even + 3 * (tw + 1);
  const T* __restrict o0 = odd;
  const T* __restrict o1 = odd + (tw + 1);
  const T* __restrict o2 = odd + 2 * (tw + 1);
  const T* __restrict o3 = odd + 3 * (tw + 1);
  for (int64_t t = 0; t < tw; ++t) {
    // d B along each patch row r: (d0 - d2, d1 + d2, d2 - d1, d1 - d3) with d = (e[t], o[t], e[t+1], o[t+1]).
    const T a0 = e0[t] - e0[t + 1], a1 = o0[t] + e0[t + 1], a2 = e0[t + 1] - o0[t], a3 = o0[t] - o0[t + 1];
    const T b0 = e1[t] - e1[t + 1], b1 = o1[t] + e1[t + 1], b2 = e1[t + 1] - o1[t], b3 = o1[t] - o1[t + 1];
    const T c0 = e2[t] - e2[t + 1], c1 = o2[t] + e2[t + 1], c2 = e2[t + 1] - o2[t], c3 = o2[t] - o2[t + 1];
    const T d0 = e3[t] - e3[t + 1], d1 = o3[t] + e3[t + 1], d2 = e3[t + 1] - o3[t], d3 = o3[t] - o3[t + 1];
    // B^T (.) down the columns: rows (a - c, b + c, c - b, b - d).
    v[0 * ldv + t] = a0 - c0;
    v[1 * ldv + t] = a1 - c1;
    v[2 * ldv + t] = a2 - c2;
    v[3 * ldv + t] = a3 - c3;
    v[4 * ldv + t] = b0 + c0;
    v[5 * ldv + t] = b1 + c1;
    v[6 * ldv + t] = b2 + c2;
    v[7 * ldv + t] = b3 + c3;
    v[8 * ldv + t] = c0 - b0;
    v[9 * ldv + t] = c1 - b1;
    v[10 * ldv + t] = c2 - b2;
    v[11 * ldv + t] = c3 - b3;
    v[12 * ldv + t] = b0 - d0;
    v[13 * ldv + t] = b1 - d1;
    v[14 * ldv + t] = b2 - d2;
    v[15 * ldv + t] = b3 - d3;
  }
}

// The 2x2 outputs of the tw tiles of one tile row for one output channel: A^T M A + bias from
// m[e * ldm + t], written into rows 2*ty and 2*ty + 1 (when inside the output) of yo.
template <typename T>
void output_tile_row(const Conv2dShape& s, const T* __restrict m, int64_t ldm, int64_t ty, int64_t tw, T bias,
                     T* __restrict out0, T* __restrict out1, T* yo) {
  for (int64_t t = 0; t < tw; ++t) {
    T mm[16];
    for (int e = 0; e < 16; ++e) mm[e] = m[e * ldm + t];
    // A^T M: rows (m0 + m1 + m2, m1 - m2 - m3) of the 4x4, then the same along the columns.
    T r0[4], r1[4];
    for (int j = 0; j < 4; ++j) {
      r0[j] = mm[j] + mm[4 + j] + mm[8 + j];
      r1[j] = mm[4 + j] - mm[8 + j] - mm[12 + j];
    }
    out0[2 * t] = r0[0] + r0[1] + r0[2] + bias;
    out0[2 * t + 1] = r0[1] - r0[2] - r0[3] + bias;
    out1[2 * t] = r1[0] + r1[1] + r1[2] + bias;
    out1[2 * t + 1] = r1[1] - r1[2] - r1[3] + bias;
  }
  const int64_t oh = 2 * ty;
  std::memcpy(yo + oh * s.wo, out0, static_cast<size_t>(s.wo) * sizeof(T));
  if (oh + 1 < s.ho) std::memcpy(yo + (oh + 1) * s.wo, out1, static_cast<size_t>(s.wo) * sizeof(T));
}

template <class Arch, typename T>
void winograd_forward(const WinogradArgs<T>& a) {
  const Conv2dShape& s = *a.shape;
  const int64_t cig = s.cin_g(), cog = s.cout_g();
  const int64_t th = (s.ho + 1) / 2, tw = (s.wo + 1) / 2;
  const int64_t total_rows = s.n * th;
  if (total_rows == 0 || s.c_out == 0) return;

  std::vector<T> u(static_cast<size_t>(s.groups * 16 * cog * cig));
  transform_weights(s, a.w, u.data());

  // Whole tile rows per block, from the shape only (never the thread count).
  const int64_t tile_bytes = 16 * (cig + cog) * static_cast<int64_t>(sizeof(T));
  const int64_t rows_per_block = std::clamp<int64_t>(kBlockBytes / tile_bytes / tw, 1, total_rows);
  const int64_t blocks = (total_rows + rows_per_block - 1) / rows_per_block;
  const int64_t ld = round_up(rows_per_block * tw, 16);  // row stride of V and M (64-byte rows)
  const int64_t v_size = 16 * cig * ld, m_size = 16 * cog * ld;
  const int64_t row_size = round_up(2 * tw + 2, 16), eo_size = round_up(4 * (tw + 1), 16);
  const int64_t out_size = round_up(2 * tw, 16);

  parallel_for(blocks, [&](int64_t b) {
    const int64_t r0 = b * rows_per_block, r1 = std::min(total_rows, r0 + rows_per_block);
    const int64_t nt = (r1 - r0) * tw;
    T* v = scratch<T>(static_cast<size_t>(v_size + m_size + row_size + 2 * eo_size + 2 * out_size));
    T* m = v + v_size;
    T* row = m + m_size;
    T* even = row + row_size;
    T* odd = even + eo_size;
    T* out0 = odd + eo_size;
    T* out1 = out0 + out_size;
    for (int64_t g = 0; g < s.groups; ++g) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t n = r / th, ty = r % th;
        for (int64_t c = 0; c < cig; ++c)
          input_tile_row(s, a.x + (n * s.c_in + g * cig + c) * s.h * s.w, ty, tw, row, even, odd,
                         v + c * ld + (r - r0) * tw, cig * ld);
      }
      // M_e = U_e V_e: the GEMM of this ISA, serial here (inside a parallel task), or split
      // over the threads when the whole call is one block; bit-identical either way.
      for (int e = 0; e < 16; ++e) {
        GemmArgs<T> ga;
        ga.m = cog;
        ga.n = nt;
        ga.k = cig;
        ga.a = u.data() + (g * 16 + e) * cog * cig;
        ga.lda = cig;
        ga.b = v + e * cig * ld;
        ga.ldb = ld;
        ga.c = m + e * cog * ld;
        ga.ldc = ld;
        GemmKernel{}(Arch{}, ga);
      }
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t n = r / th, ty = r % th;
        for (int64_t o = 0; o < cog; ++o) {
          const int64_t oc = g * cog + o;
          output_tile_row(s, m + o * ld + (r - r0) * tw, cog * ld, ty, tw, a.bias ? a.bias[oc] : T(0), out0, out1,
                          a.y + (n * s.c_out + oc) * s.ho * s.wo);
        }
      }
    }
  });
}

}  // namespace winograd_detail
}  // namespace

template <class Arch, typename T>
void ConvWinogradKernel::operator()(Arch, const WinogradArgs<T>& args) const {
  winograd_detail::winograd_forward<Arch, T>(args);
}

template void ConvWinogradKernel::operator()<isa_arch, float>(isa_arch, const WinogradArgs<float>&) const;
template void ConvWinogradKernel::operator()<isa_arch, double>(isa_arch, const WinogradArgs<double>&) const;

}  // namespace xgrad::kernels
