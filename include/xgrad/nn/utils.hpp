#pragma once
/// \file
/// `xgrad::nn::utils` (LibTorch's `<torch/nn/utils.h>`): gradient clipping and the parameters
/// as one vector.

#include <xgrad/nn/utils/clip_grad.hpp>
#include <xgrad/nn/utils/convert_parameters.hpp>
