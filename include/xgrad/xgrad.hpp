#pragma once
/// \file
/// Everything in one include, as `<torch/torch.h>`:
///
///     #include <xgrad/xgrad.hpp>
///     auto conv = xgrad::nn::Conv2d(xgrad::nn::Conv2dOptions(1, 6, 5).padding(2));

#include <xgrad/version.hpp>
#include <xgrad/error.hpp>
#include <xgrad/dtype.hpp>
#include <xgrad/device.hpp>
#include <xgrad/irange.hpp>
#include <xgrad/str.hpp>
#include <xgrad/optional.hpp>
#include <xgrad/scalar.hpp>
#include <xgrad/array_ref.hpp>
#include <xgrad/expanding_array.hpp>
#include <xgrad/tensor.hpp>
#include <xgrad/factory.hpp>
#include <xgrad/indexing.hpp>
#include <xgrad/print.hpp>
#include <xgrad/warning.hpp>
#include <xgrad/random.hpp>
#include <xgrad/parallel.hpp>
#include <xgrad/memory.hpp>
#include <xgrad/state_dict.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/autograd/node.hpp>
#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/engine.hpp>
#include <xgrad/autograd/gradcheck.hpp>
#include <xgrad/autograd/anomaly_mode.hpp>
#include <xgrad/autograd/graph.hpp>
#include <xgrad/autograd/variable.hpp>
#include <xgrad/autograd/basic_ops.hpp>
#include <xgrad/native.hpp>
#include <xgrad/library.hpp>
#include <xgrad/profiler.hpp>
#include <xgrad/nn.hpp>
#include <xgrad/optim.hpp>
#include <xgrad/serialize.hpp>
#include <xgrad/data.hpp>
#include <xgrad/distributed.hpp>
#include <xgrad/nn/parallel/distributed.hpp>
