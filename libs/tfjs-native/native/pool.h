// Max pooling over NHWC float32 with tfjs's tie rule (the first maximum in row-major window order wins).
#pragma once
#include <cstdint>

namespace divblur {

struct PoolGeometry {
  int64_t n, ih, iw, c, oh, ow, kh, kw, sh, sw;  // padding 'valid' only (the caller falls back otherwise)
};

void max_pool_forward(const PoolGeometry& g, const float* x, float* y);
/** dx = dy routed to each window's first maximum of x; dx must be zero on entry. */
void max_pool_backward(const PoolGeometry& g, const float* x, const float* dy, float* dx);

}  // namespace divblur
