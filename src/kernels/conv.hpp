#pragma once
// 2-D convolution kernels (cross-correlation, as PyTorch) on contiguous NCHW buffers.
//
//   y[n, o, oh, ow] = bias[o] + sum_{c, i, j} x[n, g*Cg + c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
//                                            * w[o, c, i, j]          (g = o / (Cout / groups))
//
// with x read as 0 outside the image. `ph`/`pw` are the padding on the top/left; the output size
// (ho, wo) is given explicitly, so asymmetric padding (PyTorch's padding='same' with an even
// dilated kernel puts the extra row/column at the bottom/right) needs no copy.
//
// Paths (chosen per pass from the shape; tests force each one through ConvConfig):
//   - implicit GEMM (conv_tile.hpp): the GEMM's image operand is read straight from a padded
//     copy of the image through tap/position offset tables; no im2col matrix. "gather" tiles
//     (output positions x output channels) serve any stride; "shift" tiles (output channels x
//     consecutive positions) serve stride 1 with few output channels. Grad-weight uses gather
//     tiles with positions as the depth. Grad-input of a stride-1 convolution adds W^T dY into
//     the padded image with "scatter" tiles (the adjoint of shift tiles), or, for a batch too
//     small to give every thread images, runs as the forward convolution of the padded output
//     gradient with the flipped, transposed weights (parallel over positions). Grad-input of a
//     strided, undilated convolution runs one such gather convolution per stride phase.
//   - im2col + the packed GEMM of gemm.hpp, per image and group (a 1x1, stride-1, unpadded
//     convolution uses the input itself); grad-input of the other strided convolutions
//     scatters the columns back (col2im).
//   - Winograd F(2x2, 3x3) and F(2x2, 5x5) (conv_winograd.hpp) for 3x3 / 5x5 stride-1
//     undilated convolutions with padding 0..2 / 0..4 and enough channels: 16 (36)
//     multiplications per 2x2 outputs instead of 36 (100), as 16 (36) batched GEMMs between
//     input and output transforms. Grad-input of such a convolution runs
//     as the forward Winograd convolution of dY with the flipped, transposed weights. Its
//     rounding differs from the direct sum by a few ulps of sum |x| |w| (see conv_winograd.hpp).
//   - batch-lane Winograd F(2, 5) (conv_batch_winograd.hpp), the forward pass of a stride-1
//     convolution 5 wide on a large batch of small images with few channels (LeNet's layers):
//     a vector holds one value of as many images as it has lanes, and each kernel row's 5 taps
//     take 6 multiplications per 2 outputs instead of 10. Grad-input of such a convolution runs
//     as the forward batch-lane convolution of dY with the flipped, transposed weights.
//   - a direct loop nest for tiny problems, where packing and dispatch would dominate.
//
// Threads: the work is split into tasks fixed by the shape (images, blocks of positions). Every
// output element is computed by a fixed sequence of operations, and grad-weight sums per-image
// products over fixed chunks of the batch (kWeightChunks, independent of the thread count)
// reduced in chunk order, so all results are bit-identical for any thread count.

#include <cstdint>

namespace xgrad::kernels {

struct Conv2dShape {
  int64_t n = 1, c_in = 1, h = 1, w = 1;  // input
  int64_t c_out = 1, kh = 1, kw = 1;      // weight: [c_out, c_in / groups, kh, kw]
  int64_t sh = 1, sw = 1;                 // stride
  int64_t ph = 0, pw = 0;                 // padding before (top, left)
  int64_t dh = 1, dw = 1;                 // dilation
  int64_t groups = 1;
  int64_t ho = 1, wo = 1;  // output

  int64_t cin_g() const { return c_in / groups; }
  int64_t cout_g() const { return c_out / groups; }
  /// Depth of the per-group GEMM: Cg * kh * kw.
  int64_t k_g() const { return cin_g() * kh * kw; }
  bool pointwise() const {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && ho == h && wo == w;
  }
  /// Multiply-accumulates of the forward pass.
  double macs() const {
    return static_cast<double>(n) * c_out * ho * wo * cin_g() * kh * kw;
  }
};

/// The path one pass runs on.
///   kDirect            loop nest (tiny problems)
///   kIm2col            im2col + GEMM (grad-input: GEMM + col2im)
///   kGather            gather tiles (positions x output channels; grad-weight: taps x output channels)
///   kShift             shift tiles (output channels x consecutive positions), stride 1
///   kScatter           grad-input: scatter tiles (the adjoint of shift), stride 1
///   kDot               grad-weight: dot tiles (vectors along positions), stride 1
///   kTransposedGather  grad-input as the forward convolution of dY with the flipped, transposed
///   kTransposedShift   weights (stride 1), on gather or shift tiles
///   kPhaseGather       grad-input of a strided, undilated convolution: one stride-1 gather
///                      convolution of dY per stride phase (the input positions one residue
///                      of the stride apart, each reached by its own subset of the taps)
///   kWinograd          Winograd F(2x2, 3x3) or F(2x2, 5x5) (3x3 / 5x5, stride 1, dilation 1,
///                      padding 0..2 / 0..4)
///   kTransposedWinograd  grad-input as the forward Winograd convolution of dY with the flipped,
///                      transposed weights
///   kBatchWinograd     forward: batch-lane Winograd F(2, 5) (kernel 5 wide, stride 1, dilation 1,
///                      one group)
///   kTransposedBatchWinograd  grad-input as the forward batch-lane convolution of dY with the
///                      flipped, transposed weights
enum class ConvPath {
  kDirect,
  kIm2col,
  kGather,
  kShift,
  kScatter,
  kDot,
  kTransposedGather,
  kTransposedShift,
  kPhaseGather,
  kWinograd,
  kTransposedWinograd,
  kBatchWinograd,
  kTransposedBatchWinograd
};

/// "direct", "im2col", "gather", "shift", "scatter", "dot", "transposed gather", "transposed shift",
/// "phase gather", "winograd", "transposed winograd", "batch winograd", "transposed batch winograd".
const char* conv_path_name(ConvPath p);

/// The paths of the three passes for one convolution.
struct ConvPlan {
  ConvPath forward, grad_input, grad_weight;
};

/// Which paths compute the passes: kAuto picks each from the shape; the others force one tile
/// family, with the same meaning in every pass:
///
///   ConvAlgo   forward   grad-input                    grad-weight
///   kDirect    direct    direct                        direct
///   kIm2col    im2col    im2col (col2im)               im2col
///   kGather    gather    transposed gather (stride 1)  gather
///                        phase gather (strided)
///   kShift     shift     transposed shift              dot          (stride 1)
///   kScatter   shift     scatter                       dot          (stride 1)
///   kWinograd  winograd  transposed winograd           auto's choice (3x3 / 5x5, stride 1,
///                                                                     dilation 1, padding 0..2 / 0..4)
///   kBatchWinograd: forward batch winograd, grad-input transposed batch winograd (kernel 5 wide,
///                   stride 1, dilation 1, one group); grad-weight auto's choice
///
/// A forced path that cannot serve the shape (shift, scatter, dot or a transposed path for a
/// strided convolution; phase gather for a dilated one; any implicit path whose padded image is
/// too large for int32 offsets; winograd for any other kernel, stride, dilation or padding; batch
/// winograd for any other kernel width, stride, dilation or grouping, or a group scratch above
/// 8M elements) falls back to kAuto's choice for that pass. kAuto picks winograd / transposed
/// winograd where it is eligible and both the pass's input and output channels per group are at
/// least 16 (5x5: and its output channels at least half its input channels), and batch winograd
/// / transposed batch winograd for float 5x5 passes on >= 4 vectors of images with <= 16 input
/// and <= 32 output channels whose group scratch fits 1 MiB (8-float vectors: and >= 2 input
/// channels; never with SSE2's 4), the rule applied to the convolution the pass runs.
enum class ConvAlgo { kAuto, kDirect, kIm2col, kGather, kShift, kScatter, kWinograd, kBatchWinograd };

/// Instruction set of the implicit-GEMM tiles: kBest is what the CPU supports; tests force each
/// one the CPU has (forcing one it lacks throws).
enum class KernelIsa { kBest, kSse2, kAvx2, kAvx512f };

struct ConvConfig {
  ConvAlgo algo = ConvAlgo::kAuto;
  KernelIsa isa = KernelIsa::kBest;
};

/// The paths conv2d_forward / conv2d_backward_input / conv2d_backward_weight take for this shape,
/// element type and configuration: the one table of the path choice.
template <typename T>
ConvPlan conv2d_plan(const Conv2dShape& s, ConvConfig cfg = {});

/// Number of batch chunks grad-weight sums separately before the ordered reduction.
inline constexpr int64_t kWeightChunks = 8;

/// y[n, c_out, ho, wo] = conv(x, w) + bias (bias may be null).
template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y, ConvConfig cfg = {});

/// gx[n, c_in, h, w] = d(sum y * gy)/dx (overwritten).
template <typename T>
void conv2d_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx, ConvConfig cfg = {});

/// gw[c_out, c_in/groups, kh, kw] (overwritten) and, when gbias is not null, gbias[c_out].
/// Either output may be null to skip it.
template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* gy, T* gw, T* gbias, ConvConfig cfg = {});

/// im2col for image `x` ([c_in, h, w]) and group g: col[k_g, ho * wo].
template <typename T>
void im2col(const Conv2dShape& s, const T* x, int64_t g, T* col);

/// col2im: gx ([c_in, h, w]) channels of group g += scatter of col[k_g, ho * wo].
template <typename T>
void col2im_add(const Conv2dShape& s, const T* col, int64_t g, T* gx);

/// Whether the direct loop nest is used instead of the GEMM path (tiny problems).
bool conv2d_use_direct(const Conv2dShape& s);

}  // namespace xgrad::kernels
