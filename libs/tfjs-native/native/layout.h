// Matrix products (oneDNN's sgemm) and axis permutations over row-major float32 tensors.
#pragma once
#include <cstdint>
#include <vector>

namespace divblur {

/** out[i] = op(a[i]) · op(b[i]) for i < max(batch_a, batch_b); a batch of 1 is broadcast. op = transpose if asked. */
void batch_matmul(int64_t batch_a, int64_t batch_b, int64_t m, int64_t n, int64_t k, bool transpose_a, bool transpose_b,
                  const float* a, const float* b, float* out);
/** out = x with its axes permuted: out.shape[d] = shape[perm[d]]. */
void transpose(const std::vector<int64_t>& shape, const std::vector<int64_t>& perm, const float* x, float* out);

}  // namespace divblur
