// Scalar twins of the optimizer kernels: one plain loop per optimizer, PyTorch 1.13's
// `_single_tensor_*` arithmetic per element (see optim.hpp). Every tensor op of PyTorch becomes
// one rounded T operation here, written as its own statement so that no compiler contracts a
// multiply and an add into an FMA: the SIMD kernels do the same operations lane by lane and
// therefore agree with these loops bit for bit.
#include "kernels/optim.hpp"

#include <cmath>

namespace xgrad::kernels::reference {

template <typename T>
void sgd_step(const SGDHyper& h, int64_t begin, int64_t end, T* param, const T* grad, T* momentum_buffer) {
  const T wd = static_cast<T>(h.weight_decay);
  const T momentum = static_cast<T>(h.momentum);
  const T one_minus_dampening = static_cast<T>(1.0 - h.dampening);
  const T neg_lr = static_cast<T>(-h.lr);
  for (int64_t i = begin; i < end; ++i) {
    const T p = param[i];
    T d = h.maximize ? -grad[i] : grad[i];
    if (h.weight_decay != 0) {
      const T decay = wd * p;
      d = d + decay;
    }
    if (h.momentum != 0) {
      T buf;
      if (h.init_buffer) {
        buf = d;
      } else {
        const T kept = momentum_buffer[i] * momentum;
        const T added = one_minus_dampening * d;
        buf = kept + added;
      }
      momentum_buffer[i] = buf;
      if (h.nesterov) {
        const T look = momentum * buf;
        d = d + look;
      } else {
        d = buf;
      }
    }
    const T delta = neg_lr * d;
    param[i] = p + delta;
  }
}

namespace {
// torch.maximum: NaN in either operand gives NaN (here: the NaN operand itself).
template <typename T>
T nan_maximum(T a, T b) {
  return (a > b || a != a) ? a : b;
}
}  // namespace

template <typename T>
void adam_step(const AdamHyper& h, int64_t begin, int64_t end, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
               T* max_exp_avg_sq) {
  const T beta1 = static_cast<T>(h.beta1);
  const T beta2 = static_cast<T>(h.beta2);
  const T one_minus_beta1 = static_cast<T>(1.0 - h.beta1);
  const T one_minus_beta2 = static_cast<T>(1.0 - h.beta2);
  const T wd = static_cast<T>(h.weight_decay);
  const T decay_factor = static_cast<T>(h.decay_factor);
  const T bc2_sqrt = static_cast<T>(h.bias_correction2_sqrt);
  const T eps = static_cast<T>(h.eps);
  const T neg_step_size = static_cast<T>(-h.step_size);
  for (int64_t i = begin; i < end; ++i) {
    T p = param[i];
    T d = h.maximize ? -grad[i] : grad[i];
    if (h.decoupled) {
      p = p * decay_factor;
    } else if (h.weight_decay != 0) {
      const T decay = wd * p;
      d = d + decay;
    }
    const T m_kept = exp_avg[i] * beta1;
    const T m_added = one_minus_beta1 * d;
    const T m = m_kept + m_added;
    const T v_kept = exp_avg_sq[i] * beta2;
    const T v_scaled = one_minus_beta2 * d;
    const T v_added = v_scaled * d;
    const T v = v_kept + v_added;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    T s = v;
    if (h.amsgrad) {
      s = nan_maximum(max_exp_avg_sq[i], v);
      max_exp_avg_sq[i] = s;
    }
    const T root = std::sqrt(s);
    const T corrected = root / bc2_sqrt;
    const T denom = corrected + eps;
    const T num = neg_step_size * m;
    const T delta = num / denom;
    param[i] = p + delta;
  }
}

template <typename T>
void rmsprop_step(const RMSpropHyper& h, int64_t begin, int64_t end, T* param, const T* grad, T* square_avg,
                  T* grad_avg, T* momentum_buffer) {
  const T wd = static_cast<T>(h.weight_decay);
  const T alpha = static_cast<T>(h.alpha);
  const T one_minus_alpha = static_cast<T>(1.0 - h.alpha);
  const T eps = static_cast<T>(h.eps);
  const T momentum = static_cast<T>(h.momentum);
  const T neg_lr = static_cast<T>(-h.lr);
  for (int64_t i = begin; i < end; ++i) {
    const T p = param[i];
    T d = h.maximize ? -grad[i] : grad[i];
    if (h.weight_decay != 0) {
      const T decay = wd * p;
      d = d + decay;
    }
    const T sq_kept = square_avg[i] * alpha;
    const T sq_scaled = one_minus_alpha * d;
    const T sq_added = sq_scaled * d;
    const T sq = sq_kept + sq_added;
    square_avg[i] = sq;
    T avg;
    if (h.centered) {
      const T ga_kept = grad_avg[i] * alpha;
      const T ga_added = one_minus_alpha * d;
      const T ga = ga_kept + ga_added;
      grad_avg[i] = ga;
      const T neg_ga = T(-1) * ga;
      const T ga_sq = neg_ga * ga;
      const T var = sq + ga_sq;
      avg = std::sqrt(var);
    } else {
      avg = std::sqrt(sq);
    }
    avg = avg + eps;
    if (h.momentum > 0) {
      const T buf_kept = momentum_buffer[i] * momentum;
      const T ratio = d / avg;
      const T buf = buf_kept + ratio;
      momentum_buffer[i] = buf;
      const T delta = neg_lr * buf;
      param[i] = p + delta;
    } else {
      const T num = neg_lr * d;
      const T delta = num / avg;
      param[i] = p + delta;
    }
  }
}

template <typename T>
void adagrad_step(const AdagradHyper& h, int64_t begin, int64_t end, T* param, const T* grad, T* sum) {
  const T wd = static_cast<T>(h.weight_decay);
  const T eps = static_cast<T>(h.eps);
  const T neg_clr = static_cast<T>(-h.clr);
  for (int64_t i = begin; i < end; ++i) {
    const T p = param[i];
    T d = h.maximize ? -grad[i] : grad[i];
    if (h.weight_decay != 0) {
      const T decay = wd * p;
      d = d + decay;
    }
    const T sq = d * d;
    const T s = sum[i] + sq;
    sum[i] = s;
    const T root = std::sqrt(s);
    const T std_dev = root + eps;
    const T num = neg_clr * d;
    const T delta = num / std_dev;
    param[i] = p + delta;
  }
}

#define XGRAD_OPTIM_REFERENCE(T)                                                                             \
  template void sgd_step<T>(const SGDHyper&, int64_t, int64_t, T*, const T*, T*);                            \
  template void adam_step<T>(const AdamHyper&, int64_t, int64_t, T*, const T*, T*, T*, T*);                  \
  template void rmsprop_step<T>(const RMSpropHyper&, int64_t, int64_t, T*, const T*, T*, T*, T*);            \
  template void adagrad_step<T>(const AdagradHyper&, int64_t, int64_t, T*, const T*, T*);
XGRAD_OPTIM_REFERENCE(float)
XGRAD_OPTIM_REFERENCE(double)
#undef XGRAD_OPTIM_REFERENCE

}  // namespace xgrad::kernels::reference
