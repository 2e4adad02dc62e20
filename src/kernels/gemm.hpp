#pragma once
// Contract for the packed, cache-blocked GEMM (implemented per ISA in this folder).
// Row-major: C[m x n] = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T.
// lda/ldb/ldc are row strides in elements of the matrices as stored (before op()).
// When beta == 0, C is not read (it may hold garbage or NaN).
// `bias`, when not null, is added to every row (bias_kind == kBiasCol: length n, one per column)
// or every column (kBiasRow: length m, one per row) after the product: the conv epilogue.

#include <cstdint>

namespace xgrad::kernels {

enum class Bias { kNone, kPerRow, kPerCol };

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias = nullptr,
          Bias bias_kind = Bias::kNone);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc, const double* bias = nullptr,
          Bias bias_kind = Bias::kNone);

}  // namespace xgrad::kernels
