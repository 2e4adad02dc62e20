#pragma once
/// \file
/// Every options struct of `xgrad::nn` (LibTorch's `<torch/nn/options.h>`).

#include <xgrad/nn/options/activation.hpp>
#include <xgrad/nn/options/batchnorm.hpp>
#include <xgrad/nn/options/conv.hpp>
#include <xgrad/nn/options/dropout.hpp>
#include <xgrad/nn/options/embedding.hpp>
#include <xgrad/nn/options/linear.hpp>
#include <xgrad/nn/options/loss.hpp>
#include <xgrad/nn/options/normalization.hpp>
#include <xgrad/nn/options/pooling.hpp>
#include <xgrad/nn/options/rnn.hpp>
