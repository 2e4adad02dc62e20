#pragma once
/// \file
/// The data pipeline, as LibTorch's `<torch/data.h>`: datasets (MNIST, FashionMNIST,
/// TensorDataset), transforms (Normalize, Stack, Lambda, ...), samplers (Sequential, Random,
/// DistributedSequential, DistributedRandom),
/// `make_data_loader` with background workers, and the IDX reader. See docs/data.md.
///
///     auto train = xgrad::data::datasets::FashionMNIST()
///                      .map(xgrad::data::transforms::Normalize<>(0.2860, 0.3530))
///                      .map(xgrad::data::transforms::Stack<>());
///     auto loader = xgrad::data::make_data_loader(std::move(train),
///                                                 xgrad::data::DataLoaderOptions().batch_size(256));
///     for (auto& batch : *loader) { /* batch.data [256, 1, 28, 28], batch.target [256] */ }

#include <xgrad/data/example.hpp>
#include <xgrad/data/idx.hpp>
#include <xgrad/data/datasets/base.hpp>
#include <xgrad/data/datasets/map.hpp>
#include <xgrad/data/datasets/mnist.hpp>
#include <xgrad/data/datasets/tensor.hpp>
#include <xgrad/data/transforms/base.hpp>
#include <xgrad/data/transforms/collate.hpp>
#include <xgrad/data/transforms/lambda.hpp>
#include <xgrad/data/transforms/stack.hpp>
#include <xgrad/data/transforms/tensor.hpp>
#include <xgrad/data/samplers/base.hpp>
#include <xgrad/data/samplers/distributed.hpp>
#include <xgrad/data/samplers/random.hpp>
#include <xgrad/data/samplers/sequential.hpp>
#include <xgrad/data/dataloader_options.hpp>
#include <xgrad/data/iterator.hpp>
#include <xgrad/data/dataloader.hpp>
