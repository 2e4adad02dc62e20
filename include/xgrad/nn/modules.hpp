#pragma once
/// \file
/// Every module of `xgrad::nn` (LibTorch's `<torch/nn/modules.h>`).

#include <xgrad/nn/modules/activation.hpp>
#include <xgrad/nn/modules/batchnorm.hpp>
#include <xgrad/nn/modules/container.hpp>
#include <xgrad/nn/modules/conv.hpp>
#include <xgrad/nn/modules/dropout.hpp>
#include <xgrad/nn/modules/embedding.hpp>
#include <xgrad/nn/modules/linear.hpp>
#include <xgrad/nn/modules/loss.hpp>
#include <xgrad/nn/modules/pooling.hpp>
#include <xgrad/nn/modules/rnn.hpp>
