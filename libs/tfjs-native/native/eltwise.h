// Elementwise, reduction and slicing loops over float32, OpenMP-parallel above a size threshold.
#pragma once
#include <cstdint>
#include <vector>

namespace divblur {

enum class BinaryOp { add = 0, sub = 1, mul = 2, div = 3 };
// same: a and b have out's size; b_scalar / a_scalar: one operand has one element;
// b_rows / a_rows: one operand has `period` elements repeated along out (a trailing-axes broadcast).
enum class Broadcast { same = 0, b_scalar = 1, a_scalar = 2, b_rows = 3, a_rows = 4 };
enum class UnaryOp { relu = 0, step = 1, neg = 2, exp = 3, square = 4, sqrt = 5, log = 6 };

void binary(BinaryOp op, Broadcast mode, int64_t size, int64_t period, const float* a, const float* b, float* out);
void unary(UnaryOp op, int64_t size, float alpha, const float* x, float* out);
/** out[o, i] = Σ_r x[o, r, i] over x viewed as [outer, reduced, inner], accumulated in double as tfjs does. */
void reduce_sum(int64_t outer, int64_t reduced, int64_t inner, const float* x, float* out);
/**
 * The backward pass of relu(conv(x) + b) in one sweep over [rows, channels]: given the forward output y and the
 * upstream gradient dy, dz = dy·[y > 0] (NaN in y propagates, like tfjs's Step) and db[c] = Σ_rows dz[·, c], summed in
 * double like reduce_sum. Replaces tfjs's Step, Multiply and Sum: three 16 MB passes per layer become one.
 */
void relu_bias_backprop(int64_t rows, int64_t channels, const float* dy, const float* y, float* dz, float* db);
/**
 * One Adam step in place of ten elementwise kernels: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − step·m / (√(v·correction) + ε), written to p_out, m_out, v_out (libs/divblurring/src/adam.ts has the formula).
 */
void adam_update(int64_t size, const float* p, const float* m, const float* v, const float* g, float beta1, float one_minus_beta1,
                 float beta2, float one_minus_beta2, float epsilon, float step_size, float second_moment_correction, float* p_out,
                 float* m_out, float* v_out);
/** Copies the box [begin, begin + size) of a row-major tensor of shape `shape` into out. */
void slice(const std::vector<int64_t>& shape, const std::vector<int64_t>& begin, const std::vector<int64_t>& size,
           const float* x, float* out);

}  // namespace divblur
