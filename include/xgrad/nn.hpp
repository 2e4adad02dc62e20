#pragma once
/// \file
/// `xgrad::nn`: modules, their options, the functional API and initialisers, as
/// `<torch/nn.h>`:
///
///     #include <xgrad/nn.hpp>
///     namespace nn = xgrad::nn;
///     namespace F = xgrad::nn::functional;
///     nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::Sigmoid(),
///                        nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)), nn::Flatten(),
///                        nn::Linear(6 * 14 * 14, 10));
///     auto loss = F::cross_entropy(net(x), y);

#include <xgrad/arg.hpp>
#include <xgrad/enum.hpp>
#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/init.hpp>
#include <xgrad/nn/module.hpp>
#include <xgrad/nn/modules.hpp>
#include <xgrad/nn/options.hpp>
#include <xgrad/nn/pimpl.hpp>
#include <xgrad/nn/summary.hpp>
#include <xgrad/nn/utils.hpp>
#include <xgrad/ordered_dict.hpp>
