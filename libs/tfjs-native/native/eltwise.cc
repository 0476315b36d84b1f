#include "eltwise.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace divblur {

namespace {
constexpr int64_t kParallelFrom = 1 << 15;

template <typename F>
void binary_with(F f, Broadcast mode, int64_t size, int64_t period, const float* a, const float* b, float* out) {
  switch (mode) {
    case Broadcast::same:
#pragma omp parallel for simd if (size >= kParallelFrom)
      for (int64_t i = 0; i < size; i++) out[i] = f(a[i], b[i]);
      break;
    case Broadcast::b_scalar: {
      const float s = b[0];
#pragma omp parallel for simd if (size >= kParallelFrom)
      for (int64_t i = 0; i < size; i++) out[i] = f(a[i], s);
      break;
    }
    case Broadcast::a_scalar: {
      const float s = a[0];
#pragma omp parallel for simd if (size >= kParallelFrom)
      for (int64_t i = 0; i < size; i++) out[i] = f(s, b[i]);
      break;
    }
    case Broadcast::b_rows: {
      const int64_t rows = size / period;
#pragma omp parallel for if (size >= kParallelFrom)
      for (int64_t r = 0; r < rows; r++) {
        const float* ar = a + r * period;
        float* o = out + r * period;
#pragma omp simd
        for (int64_t j = 0; j < period; j++) o[j] = f(ar[j], b[j]);
      }
      break;
    }
    case Broadcast::a_rows: {
      const int64_t rows = size / period;
#pragma omp parallel for if (size >= kParallelFrom)
      for (int64_t r = 0; r < rows; r++) {
        const float* br = b + r * period;
        float* o = out + r * period;
#pragma omp simd
        for (int64_t j = 0; j < period; j++) o[j] = f(a[j], br[j]);
      }
      break;
    }
  }
}

// out[c] = Σ_r of what row(r, local) adds to local[c], over rows × columns: each thread accumulates a band of rows in
// double, then the bands are added (with 2 threads a + b = b + a, so the result does not depend on which finishes first).
template <typename RowFn>
void column_sums(int64_t rows, int64_t columns, float* out, RowFn row) {
  std::vector<double> acc(columns, 0.0);
#pragma omp parallel if (rows * columns >= kParallelFrom)
  {
    std::vector<double> local(columns, 0.0);
#pragma omp for nowait
    for (int64_t r = 0; r < rows; r++) row(r, local.data());
#pragma omp critical
    for (int64_t c = 0; c < columns; c++) acc[c] += local[c];
  }
  for (int64_t c = 0; c < columns; c++) out[c] = static_cast<float>(acc[c]);
}

template <typename F>
void unary_with(F f, int64_t size, const float* x, float* out) {
#pragma omp parallel for simd if (size >= kParallelFrom)
  for (int64_t i = 0; i < size; i++) out[i] = f(x[i]);
}
}  // namespace

void binary(BinaryOp op, Broadcast mode, int64_t size, int64_t period, const float* a, const float* b, float* out) {
  switch (op) {
    case BinaryOp::add: return binary_with([](float p, float q) { return p + q; }, mode, size, period, a, b, out);
    case BinaryOp::sub: return binary_with([](float p, float q) { return p - q; }, mode, size, period, a, b, out);
    case BinaryOp::mul: return binary_with([](float p, float q) { return p * q; }, mode, size, period, a, b, out);
    case BinaryOp::div: return binary_with([](float p, float q) { return p / q; }, mode, size, period, a, b, out);
  }
}

void unary(UnaryOp op, int64_t size, float alpha, const float* x, float* out) {
  // NaN passes through relu and step as in tfjs (Math.max(0, NaN) is NaN).
  switch (op) {
    case UnaryOp::relu: return unary_with([](float v) { return v > 0.f || v != v ? v : 0.f; }, size, x, out);
    case UnaryOp::step:
      // Arithmetic rather than a select: GCC 12 leaves `v > 0 ? 1 : alpha` as a branch (≈ 30× slower here).
      return unary_with([alpha](float v) {
        const float s = alpha + (1.f - alpha) * static_cast<float>(v > 0.f);
        return std::isnan(v) ? v : s;
      }, size, x, out);
    case UnaryOp::neg: return unary_with([](float v) { return -v; }, size, x, out);
    case UnaryOp::exp: return unary_with([](float v) { return std::exp(v); }, size, x, out);
    case UnaryOp::square: return unary_with([](float v) { return v * v; }, size, x, out);
    case UnaryOp::sqrt: return unary_with([](float v) { return std::sqrt(v); }, size, x, out);
    case UnaryOp::log: return unary_with([](float v) { return std::log(v); }, size, x, out);
  }
}

void reduce_sum(int64_t outer, int64_t reduced, int64_t inner, const float* x, float* out) {
  if (inner == 1 && outer == 1) {
    // A full reduction: split across threads instead of one long serial row.
    double acc = 0;
#pragma omp parallel for simd reduction(+ : acc) if (reduced >= kParallelFrom)
    for (int64_t r = 0; r < reduced; r++) acc += x[r];
    out[0] = static_cast<float>(acc);
    return;
  }
  if (inner == 1) {
#pragma omp parallel for if (outer * reduced >= kParallelFrom)
    for (int64_t o = 0; o < outer; o++) {
      const float* row = x + o * reduced;
      double acc = 0;
#pragma omp simd reduction(+ : acc)
      for (int64_t r = 0; r < reduced; r++) acc += row[r];
      out[o] = static_cast<float>(acc);
    }
    return;
  }
  // Column sums (e.g. a bias gradient, Σ over N·H·W of [N,H,W,C]).
  for (int64_t o = 0; o < outer; o++) {
    const float* block = x + o * reduced * inner;
    column_sums(reduced, inner, out + o * inner, [block, inner](int64_t r, double* local) {
      const float* row = block + r * inner;
#pragma omp simd
      for (int64_t i = 0; i < inner; i++) local[i] += row[i];
    });
  }
}

void relu_bias_backprop(int64_t rows, int64_t channels, const float* dy, const float* y, float* dz, float* db) {
  column_sums(rows, channels, db, [=](int64_t r, double* local) {
    const float* g = dy + r * channels;
    const float* v = y + r * channels;
    float* o = dz + r * channels;
#pragma omp simd
    for (int64_t c = 0; c < channels; c++) {
      // (v − v) is 0 for finite v and NaN for NaN: the mask stays a multiply, which GCC vectorises.
      const float d = g[c] * static_cast<float>(v[c] > 0.f) + (v[c] - v[c]);
      o[c] = d;
      local[c] += d;
    }
  });
}

void adam_update(int64_t size, const float* p, const float* m, const float* v, const float* g, float beta1, float one_minus_beta1,
                 float beta2, float one_minus_beta2, float epsilon, float step_size, float second_moment_correction, float* p_out,
                 float* m_out, float* v_out) {
  // The operations of the composed tfjs ops in their order (1 − β computed by the caller in double, as tfjs does).
#pragma omp parallel for simd if (size >= kParallelFrom)
  for (int64_t i = 0; i < size; i++) {
    const float mi = m[i] * beta1 + g[i] * one_minus_beta1;
    const float vi = v[i] * beta2 + (g[i] * g[i]) * one_minus_beta2;
    const float denominator = std::sqrt(vi * second_moment_correction) + epsilon;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = p[i] - (mi / denominator) * step_size;
  }
}

void slice(const std::vector<int64_t>& shape, const std::vector<int64_t>& begin, const std::vector<int64_t>& size,
           const float* x, float* out) {
  const size_t rank = shape.size();
  std::vector<int64_t> strides(rank, 1);
  for (size_t d = rank - 1; d > 0; d--) strides[d - 1] = strides[d] * shape[d];
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < rank; d++) rows *= size[d];
  const int64_t row_len = size[rank - 1];
#pragma omp parallel for if (rows * row_len >= kParallelFrom)
  for (int64_t r = 0; r < rows; r++) {
    int64_t rest = r, offset = begin[rank - 1];
    for (size_t d = rank - 1; d-- > 0;) {
      offset += (begin[d] + rest % size[d]) * strides[d];
      rest /= size[d];
    }
    std::memcpy(out + r * row_len, x + offset, sizeof(float) * row_len);
  }
}

}  // namespace divblur
