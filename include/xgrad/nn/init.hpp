#pragma once
/// \file
/// Parameter initialisation, as `torch::nn::init`. Every function fills its tensor in place
/// without recording a graph (it runs under NoGradGuard, so parameters that require grad are
/// fine) and returns it:
///
///     namespace init = xgrad::nn::init;
///     init::xavier_uniform_(linear->weight);
///     init::kaiming_normal_(conv->weight, 0.0, xgrad::kFanOut, xgrad::kReLU);
///     init::zeros_(conv->bias);

#include <xgrad/enum.hpp>
#include <xgrad/tensor.hpp>

#include <tuple>
#include <variant>

namespace xgrad::nn::init {

using NonlinearityType =
    std::variant<enumtype::kLinear, enumtype::kConv1D, enumtype::kConv2D, enumtype::kConv3D,
                 enumtype::kConvTranspose1D, enumtype::kConvTranspose2D, enumtype::kConvTranspose3D,
                 enumtype::kSigmoid, enumtype::kTanh, enumtype::kReLU, enumtype::kLeakyReLU>;
using FanModeType = std::variant<enumtype::kFanIn, enumtype::kFanOut>;

/// Recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for
/// ReLU, sqrt(2 / (1 + param^2)) for leaky ReLU with negative slope `param`.
double calculate_gain(NonlinearityType nonlinearity, double param = 0.01);

/// (fan_in, fan_out) of a weight: size(1) * receptive field and size(0) * receptive field.
/// Throws ValueError for tensors with fewer than 2 dimensions.
std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor);

/// Fills with `value`.
Tensor constant_(Tensor tensor, double value);
Tensor ones_(Tensor tensor);
Tensor zeros_(Tensor tensor);
/// U(low, high).
Tensor uniform_(Tensor tensor, double low = 0.0, double high = 1.0);
/// N(mean, std^2).
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0);
/// U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).
/// PyTorch's layer default is `a = sqrt(5)`, giving b = 1 / sqrt(fan_in).
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, FanModeType mode = xgrad::kFanIn,
                        NonlinearityType nonlinearity = xgrad::kLeakyReLU);
/// N(0, std^2) with std = gain / sqrt(fan).
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, FanModeType mode = xgrad::kFanIn,
                       NonlinearityType nonlinearity = xgrad::kLeakyReLU);
/// U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
/// N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);
/// A (semi-)orthogonal matrix times `gain` (Saxe et al. 2013), as PyTorch's
/// `torch.nn.init.orthogonal_`: the tensor is seen as rows = size(0) by cols = numel / rows; a
/// rows x cols matrix is drawn from N(0, 1) (PyTorch's random stream, so after the same
/// manual_seed the values are PyTorch's to float rounding), transposed when rows < cols, its
/// reduced QR factor Q (Householder, in double precision) has its columns multiplied by the
/// signs of R's diagonal (which makes Q unique), and is transposed back. The result has
/// orthonormal rows (rows <= cols) or columns (rows >= cols), scaled by `gain`:
///
///     xgrad::nn::init::orthogonal_(conv->weight);   // [out, in, kh, kw] seen as [out, in*kh*kw]
///
/// A tensor with fewer than 2 dimensions is a ValueError ("Only tensors with 2 or more
/// dimensions are supported"), a non-floating tensor a TypeError, a non-finite gain a
/// ValueError; an empty tensor is left unchanged (as PyTorch).
Tensor orthogonal_(Tensor tensor, double gain = 1.0);

}  // namespace xgrad::nn::init
