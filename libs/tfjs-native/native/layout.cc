#include "layout.h"

#include <cstring>
#include <stdexcept>

#include <oneapi/dnnl/dnnl.h>

namespace divblur {

void batch_matmul(int64_t batch_a, int64_t batch_b, int64_t m, int64_t n, int64_t k, bool transpose_a, bool transpose_b,
                  const float* a, const float* b, float* out) {
  const int64_t batch = batch_a > batch_b ? batch_a : batch_b;
  for (int64_t i = 0; i < batch; i++) {
    const float* ai = a + (batch_a == 1 ? 0 : i) * m * k;
    const float* bi = b + (batch_b == 1 ? 0 : i) * k * n;
    // Row-major C = op(A)·op(B): lda is A's row length as stored.
    dnnl_status_t status = dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, 1.f, ai,
                                      transpose_a ? m : k, bi, transpose_b ? k : n, 0.f, out + i * m * n, n);
    if (status != dnnl_success) throw std::runtime_error("dnnl_sgemm failed");
  }
}

void transpose(const std::vector<int64_t>& shape, const std::vector<int64_t>& perm, const float* x, float* out) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> in_strides(rank, 1), out_shape(rank);
  for (int64_t d = rank - 1; d > 0; d--) in_strides[d - 1] = in_strides[d] * shape[d];
  for (int64_t d = 0; d < rank; d++) out_shape[d] = shape[perm[d]];
  // Trailing axes that stay in place move together as one contiguous chunk.
  int64_t kept = rank;
  while (kept > 0 && perm[kept - 1] == kept - 1) kept--;
  int64_t chunk = 1;
  for (int64_t d = kept; d < rank; d++) chunk *= shape[d];
  int64_t total = chunk;
  for (int64_t d = 0; d < kept; d++) total *= out_shape[d];
  if (kept == 0) {
    std::memcpy(out, x, sizeof(float) * total);
    return;
  }
  // Rows over output axes [0, kept-1); the innermost moved axis is a strided loop.
  const int64_t inner = out_shape[kept - 1];
  const int64_t inner_stride = in_strides[perm[kept - 1]];
  const int64_t rows = total / (inner * chunk);
#pragma omp parallel for if (total >= (1 << 15))
  for (int64_t r = 0; r < rows; r++) {
    int64_t rest = r, offset = 0;
    for (int64_t d = kept - 2; d >= 0; d--) {
      offset += (rest % out_shape[d]) * in_strides[perm[d]];
      rest /= out_shape[d];
    }
    float* o = out + r * inner * chunk;
    const float* src = x + offset;
    if (chunk == 1) {
      for (int64_t j = 0; j < inner; j++) o[j] = src[j * inner_stride];
    } else {
      for (int64_t j = 0; j < inner; j++) std::memcpy(o + j * chunk, src + j * inner_stride, sizeof(float) * chunk);
    }
  }
}

}  // namespace divblur
