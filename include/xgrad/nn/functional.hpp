#pragma once
/// \file
/// All of `xgrad::nn::functional`, as `<torch/nn/functional.h>`:
///
///     namespace F = xgrad::nn::functional;
///     auto y = F::relu(F::conv2d(x, w, F::Conv2dFuncOptions().padding(1)));
///     auto loss = F::cross_entropy(F::linear(F::flatten(y, 1), fc_w, fc_b), labels);

#include <xgrad/nn/functional/activation.hpp>
#include <xgrad/nn/functional/batchnorm.hpp>
#include <xgrad/nn/functional/conv.hpp>
#include <xgrad/nn/functional/dropout.hpp>
#include <xgrad/nn/functional/embedding.hpp>
#include <xgrad/nn/functional/linear.hpp>
#include <xgrad/nn/functional/loss.hpp>
#include <xgrad/nn/functional/normalization.hpp>
#include <xgrad/nn/functional/pooling.hpp>
