// Convolution geometry shared by the three oneDNN convolution passes (NHWC, tfjs filter [kh,kw,in,out]).
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

namespace divblur {

struct ConvGeometry {
  int64_t n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  std::array<int64_t, 17> key() const { return {n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr}; }
  int64_t multiply_adds() const { return n * oh * ow * oc * ic * kh * kw; }
};

/** Runs a scope with one OpenMP thread when the work is too small to pay for a fork/join (restores after). */
class ThreadsForWork {
 public:
  explicit ThreadsForWork(int64_t multiply_adds);
  ~ThreadsForWork();
  int threads() const { return threads_; }

 private:
  int saved_, threads_;
};

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

/** dst = conv(src, weights) (+ bias) (then relu): the forward pass; `bias` may be null. */
void conv_forward(const ConvGeometry& g, const float* src, const float* weights, const float* bias, bool relu, float* dst);
/** diff_src = the gradient of the convolution with respect to its input (tfjs Conv2DBackpropInput). */
void conv_backward_data(const ConvGeometry& g, const float* diff_dst, const float* weights, float* diff_src);
/** diff_weights (hwio) = the gradient with respect to the filter (tfjs Conv2DBackpropFilter). */
void conv_backward_weights(const ConvGeometry& g, const float* src, const float* diff_dst, float* diff_weights);
/** bf16 convolutions (f32 outputs) for every later call on layers with ≥ 16 input and output channels: mode 0 none,
 *  1 every pass, 2 the backward passes only. Returns what was set: 0 where the CPU has no optimised bf16 convolutions. */
int set_conv_bf16(int mode);
/** What runs bf16 convolutions here: "amx", "avx512_bf16" or "none" (then set_conv_bf16 keeps f32). */
std::string conv_bf16_isa();
int conv_bf16();
/**
 * The backward pass of y = relu(conv(src) + b) in one call: dz = dy·[y > 0] and db = Σ dz into a per-thread buffer (no
 * output allocated), then diff_src and diff_weights from that dz (in bf16 mode, dz rounded once for both).
 */
void conv_relu_backward(const ConvGeometry& g, const float* dy, const float* y, const float* src, const float* weights,
                        float* diff_src, float* diff_weights, float* diff_bias);
/** oneDNN's implementation names for the three passes, for the profile notes. */
std::string conv_impl_names(const ConvGeometry& g);

}  // namespace divblur
