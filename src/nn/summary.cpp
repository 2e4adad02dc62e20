// xgrad::summary: one forward on zeros with a pre-hook and a hook on every module. The pre-hook
// opens a row (for leaves and modules owning parameters) and pushes the module on a call stack;
// the hook fills in the row's output shape and pops. When the forward throws, the top of that
// stack is the innermost module that was running, whose path goes into the rethrown message.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/summary.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace xgrad::detail {

namespace {

struct Row {
  std::string name;   // "features.0 (Conv2d)"
  std::string shape;  // "[1, 6, 28, 28]", filled in when the call returns
  int64_t params = 0;
  int64_t output_bytes = 0;
};

// "61706" -> "61,706".
std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string shape_string(IntArrayRef sizes) { return fmt::format("[{}]", fmt::join(sizes.vec(), ", ")); }

std::string display_name(const std::string& path, const nn::Module& m) {
  return path.empty() ? m.short_name() : fmt::format("{} ({})", path, m.short_name());
}

double megabytes(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// Restores every module's training flag (pre-order, so a parent's recursive train() is undone
// for children whose flag differed) and removes the hooks, also when the forward throws.
struct Restore {
  std::vector<std::pair<std::shared_ptr<nn::Module>, bool>> modes;
  std::vector<nn::RemovableHandle> handles;
  ~Restore() {
    for (auto& h : handles) h.remove();
    for (auto& [m, training] : modes) m->train(training);
  }
};

template <typename E>
[[noreturn]] void rethrow_as(const std::string& where, const E& e) {
  // message(): the module context the error picked up is what `where` says already.
  throw E(where + e.message());
}

}  // namespace

std::string summary_table(nn::Module& model, IntArrayRef input_size,
                          const std::function<Tensor(const Tensor&)>& forward) {
  for (int64_t s : input_size)
    XGRAD_CHECK(s >= 0, ValueError, "summary: input sizes must be non-negative, got {}", shape_string(input_size));

  const auto params = model.parameters();
  const ScalarType dtype = params.empty() ? kFloat32 : params.front().dtype();
  // Every module with its dotted name. The root may be a local Impl not owned by a shared_ptr:
  // it then gets a non-owning pointer, which never leaves this function (model outlives it).
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> modules;
  model.apply([&modules](const std::string& key, nn::Module& m) {
    std::shared_ptr<nn::Module> ptr = m.weak_from_this().lock();
    if (!ptr) ptr = std::shared_ptr<nn::Module>(std::shared_ptr<nn::Module>{}, &m);
    modules.emplace_back(key, std::move(ptr));
  });

  std::vector<Row> rows;
  std::vector<std::string> expected;  // submodules that get a row when they are called
  std::vector<std::pair<std::string, size_t>> stack;  // (display name, row index or npos)
  constexpr size_t no_row = static_cast<size_t>(-1);
  Restore restore;
  for (const auto& item : modules) {
    const std::shared_ptr<nn::Module>& m = item.second;
    restore.modes.emplace_back(m, m->is_training());
    const bool is_root = m.get() == &model;
    const bool leaf = m->children().empty();
    const auto own = m->parameters(/*recurse=*/false);
    // A row for leaves and for modules with parameters of their own; the root's own parameters
    // only count in the totals, unless the root is itself a layer.
    const bool has_row = leaf || (!is_root && !own.empty());
    int64_t own_count = 0;
    for (const auto& p : own) own_count += p.numel();
    const std::string name = display_name(item.first, *m);
    if (has_row && !is_root) expected.push_back(name);
    restore.handles.push_back(m->register_forward_pre_hook([&rows, &stack, has_row, name, own_count](
                                                                nn::Module&, const Tensor&) {
      size_t index = no_row;
      if (has_row) {
        index = rows.size();
        rows.push_back({name, "", own_count, 0});
      }
      stack.emplace_back(name, index);
    }));
    restore.handles.push_back(
        m->register_forward_hook([&rows, &stack](nn::Module&, const Tensor&, const Tensor& output) {
          if (stack.empty()) return;
          const size_t index = stack.back().second;
          stack.pop_back();
          if (index == no_row) return;
          rows[index].shape = output.defined() ? shape_string(output.sizes()) : "None";
          rows[index].output_bytes =
              output.defined() ? output.numel() * static_cast<int64_t>(element_size(output.dtype())) : 0;
        }));
  }

  const Tensor input = zeros(input_size, dtype);
  model.eval();
  try {
    NoGradGuard no_grad;
    (void)forward(input);
  } catch (const Error& e) {
    // The innermost module still on the stack is the one whose forward failed.
    const std::string where = fmt::format("summary(input {}): {}", shape_string(input_size),
                                          stack.empty() ? std::string() : stack.back().first + ": ");
    if (const auto* s = dynamic_cast<const ShapeError*>(&e)) rethrow_as(where, *s);
    if (const auto* v = dynamic_cast<const ValueError*>(&e)) rethrow_as(where, *v);
    if (const auto* t = dynamic_cast<const TypeError*>(&e)) rethrow_as(where, *t);
    if (const auto* i = dynamic_cast<const IndexError*>(&e)) rethrow_as(where, *i);
    if (const auto* a = dynamic_cast<const AutogradError*>(&e)) rethrow_as(where, *a);
    if (const auto* o = dynamic_cast<const IOError*>(&e)) rethrow_as(where, *o);
    rethrow_as(where, e);
  }

  int64_t total = 0, trainable = 0, param_bytes = 0, output_bytes = 0;
  for (const auto& p : params) {
    total += p.numel();
    if (p.requires_grad()) trainable += p.numel();
    param_bytes += p.numel() * static_cast<int64_t>(element_size(p.dtype()));
  }
  for (const auto& r : rows) output_bytes += r.output_bytes;
  const int64_t input_bytes = input.numel() * static_cast<int64_t>(element_size(dtype));

  // Column widths from the contents; names and shapes left-aligned, counts right-aligned.
  const std::string h_name = "Layer (type)", h_shape = "Output Shape", h_params = "Param #";
  size_t w_name = h_name.size(), w_shape = h_shape.size(), w_params = h_params.size();
  for (const auto& r : rows) {
    w_name = std::max(w_name, r.name.size());
    w_shape = std::max(w_shape, r.shape.size());
    w_params = std::max(w_params, with_commas(r.params).size());
  }
  const std::string gap = "   ";
  const size_t width = w_name + w_shape + w_params + 2 * gap.size();
  const std::string heavy(width, '='), light(width, '-');

  std::string out;
  out += fmt::format("{:<{}}{}{:<{}}{}{:>{}}\n", h_name, w_name, gap, h_shape, w_shape, gap, h_params, w_params);
  out += heavy + "\n";
  for (const auto& r : rows)
    out += fmt::format("{:<{}}{}{:<{}}{}{:>{}}\n", r.name, w_name, gap, r.shape, w_shape, gap, with_commas(r.params),
                       w_params);
  out += heavy + "\n";
  // Submodules the forward called through `->forward(x)` run no hooks, so they are invisible
  // here (as in PyTorch); say so rather than print a table that silently lacks them.
  std::vector<std::string> unseen;
  for (const auto& name : expected)
    if (std::none_of(rows.begin(), rows.end(), [&](const Row& r) { return r.name == name; })) unseen.push_back(name);
  if (!unseen.empty())
    out += fmt::format(
        "Not seen: {} -- not called by forward, or called as `->forward(x)`, which runs no hooks; call a\n"
        "submodule as `module(x)` to list it.\n",
        fmt::join(unseen, ", "));
  out += fmt::format("Total params: {}\n", with_commas(total));
  out += fmt::format("Trainable params: {}\n", with_commas(trainable));
  out += fmt::format("Non-trainable params: {}\n", with_commas(total - trainable));
  out += light + "\n";
  out += fmt::format("Input size (MB): {:.2f}\n", megabytes(input_bytes));
  out += fmt::format("Forward pass size (MB): {:.2f}\n", megabytes(output_bytes));
  out += fmt::format("Params size (MB): {:.2f}\n", megabytes(param_bytes));
  out += fmt::format("Estimated Total Size (MB): {:.2f}\n", megabytes(input_bytes + output_bytes + param_bytes));
  out += light + "\n";
  return out;
}

}  // namespace xgrad::detail
