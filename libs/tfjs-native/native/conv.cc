// 2-D convolution forward, backward-data and backward-weights on oneDNN, NHWC activations and tfjs's
// [kh, kw, in, out] filters (oneDNN's hwio) used in place; only the weights may be reordered into the
// layout the chosen implementation prefers. Primitives are created once per geometry and thread and cached
// (thread_local: data-parallel training calls from several threads at once, each with its own stream).
#include "conv.h"

#include <map>
#include <memory>
#include <tuple>

#include <omp.h>
#include <vector>

#include "eltwise.h"

namespace divblur {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& cpu_engine() {
  thread_local dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

// Below ≈ 1 M multiply-adds (≈ 0.1 ms on one core) a second thread costs more in fork/join than it saves,
// and far more when the cores are shared with other processes.
constexpr int64_t kParallelFromMultiplyAdds = 1 << 20;

ThreadsForWork::ThreadsForWork(int64_t multiply_adds) : saved_(omp_get_max_threads()) {
  threads_ = multiply_adds < kParallelFromMultiplyAdds ? 1 : saved_;
  if (threads_ != saved_) omp_set_num_threads(threads_);
}

ThreadsForWork::~ThreadsForWork() {
  if (threads_ != saved_) omp_set_num_threads(saved_);
}

namespace {

// bf16 convolutions (AMX or avx512_bf16 through oneDNN): activations and weights rounded to bf16 on the way in,
// accumulation and every output (dst, diff_src, diff_weights) in f32, so Adam and its state stay f32.
// 0: f32; 1: bf16 in every pass; 2: bf16 in the two backward passes only (the forward, whose output is the image the
// likelihood compares with the data, stays f32).
int g_bf16 = 0;

// Layers with 1 input or output channel (the network's first and last, the PSF blur of the likelihood) stay f32:
// their bf16 implementations are reference loops, and the likelihood's blur must stay exact.
bool bf16_for(const ConvGeometry& g, bool forward) { return (forward ? g_bf16 == 1 : g_bf16 != 0) && g.ic >= 16 && g.oc >= 16; }

struct Descs {
  memory::desc src, weights_any, weights_user, bias, dst;
  memory::dims strides, dilates, pad_l, pad_r;
};

// The descriptors of a pass: `in` is the data type of the inputs it reads (src, weights for forward and
// backward-data, diff_dst for the backward passes); what it writes is always f32.
Descs descs_of(const ConvGeometry& g, dt in = dt::f32) {
  Descs d;
  d.src = memory::desc({g.n, g.ic, g.ih, g.iw}, in, tag::nhwc);
  d.dst = memory::desc({g.n, g.oc, g.oh, g.ow}, dt::f32, tag::nhwc);
  d.weights_user = memory::desc({g.oc, g.ic, g.kh, g.kw}, dt::f32, tag::hwio);
  d.weights_any = memory::desc({g.oc, g.ic, g.kh, g.kw}, in, tag::any);
  d.bias = memory::desc({g.oc}, dt::f32, tag::x);
  d.strides = {g.sh, g.sw};
  d.dilates = {g.dh - 1, g.dw - 1};
  d.pad_l = {g.pt, g.pl};
  d.pad_r = {g.pb, g.pr};
  return d;
}

dnnl::convolution_forward::primitive_desc forward_pd(const ConvGeometry& g, bool bias, bool relu, dnnl::prop_kind kind,
                                                    dt in = dt::f32) {
  Descs d = descs_of(g, in);
  auto desc = bias ? dnnl::convolution_forward::desc(kind, dnnl::algorithm::convolution_direct, d.src, d.weights_any,
                                                     d.bias, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r)
                   : dnnl::convolution_forward::desc(kind, dnnl::algorithm::convolution_direct, d.src, d.weights_any,
                                                     d.dst, d.strides, d.dilates, d.pad_l, d.pad_r);
  dnnl::primitive_attr attr;
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  return dnnl::convolution_forward::primitive_desc(desc, attr, cpu_engine());
}

// Weights in the caller's hwio layout, or a reorder into the layout `wanted` (cached scratch buffer).
struct WeightsPlan {
  memory::desc user, wanted;
  bool reorder_needed = false;
  std::unique_ptr<dnnl::reorder> to_wanted, to_user;
  std::unique_ptr<memory> scratch;
};

void plan_weights(WeightsPlan& plan, const ConvGeometry& g, const memory::desc& wanted) {
  plan.user = descs_of(g).weights_user;
  plan.wanted = wanted;
  plan.reorder_needed = wanted != plan.user;
  if (!plan.reorder_needed) return;
  plan.scratch = std::make_unique<memory>(wanted, cpu_engine());
  memory user_mem(plan.user, cpu_engine(), DNNL_MEMORY_NONE);
  plan.to_wanted = std::make_unique<dnnl::reorder>(user_mem, *plan.scratch);
  plan.to_user = std::make_unique<dnnl::reorder>(*plan.scratch, user_mem);
}

// Weight reorders are ≤ 37 k floats here: a fork/join over 2 threads costs more than the copy (≈ 1 ms
// per reorder measured with ONEDNN_VERBOSE on a shared 2-core machine), so they run on one thread.
void reorder_single_threaded(dnnl::reorder& reorder, memory& from, memory& to) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  reorder.execute(cpu_stream(), from, to);
  cpu_stream().wait();
  omp_set_num_threads(saved);
}

// An f32 NHWC activation rounded to bf16 into a cached buffer (one per primitive and argument: the passes run
// one at a time, and each reads its converted inputs only during its own execute).
struct Bf16Copy {
  memory::desc from;
  std::unique_ptr<memory> scratch;
  std::unique_ptr<dnnl::reorder> reorder;
  int64_t elements = 0;
};

void plan_bf16(Bf16Copy& copy, const memory::desc& f32_desc, const memory::dims& dims) {
  copy.from = f32_desc;
  copy.scratch = std::make_unique<memory>(memory::desc(dims, dt::bf16, tag::nhwc), cpu_engine());
  memory user(f32_desc, cpu_engine(), DNNL_MEMORY_NONE);
  copy.reorder = std::make_unique<dnnl::reorder>(user, *copy.scratch);
  copy.elements = 1;
  for (auto dim : dims) copy.elements *= dim;
}

memory& to_bf16(Bf16Copy& copy, const float* data) {
  memory user(copy.from, cpu_engine(), const_cast<float*>(data));
  // The same threshold as the elementwise kernels: below ≈ 32 k elements one thread is faster.
  const int saved = omp_get_max_threads();
  if (copy.elements < (1 << 15)) omp_set_num_threads(1);
  copy.reorder->execute(cpu_stream(), user, *copy.scratch);
  cpu_stream().wait();
  omp_set_num_threads(saved);
  return *copy.scratch;
}

// conv_relu_backward hands the bf16 copy of dz that backward-data made to backward-weights (same pointer, same
// dims, nothing runs in between), so dz is rounded once; unset outside that call.
thread_local bool t_share_diff_dst = false;
thread_local const float* t_shared_source = nullptr;
thread_local memory* t_shared_bf16 = nullptr;

memory::dims src_dims(const ConvGeometry& g) { return {g.n, g.ic, g.ih, g.iw}; }
memory::dims dst_dims(const ConvGeometry& g) { return {g.n, g.oc, g.oh, g.ow}; }

struct ForwardEntry {
  dnnl::convolution_forward prim;
  WeightsPlan weights;
  Bf16Copy src;  // bf16 only
};
struct BackwardDataEntry {
  dnnl::convolution_backward_data prim;
  WeightsPlan weights;
  Bf16Copy diff_dst;  // bf16 only
};
struct BackwardWeightsEntry {
  dnnl::convolution_backward_weights prim;
  WeightsPlan weights;
  Bf16Copy src, diff_dst;  // bf16 only
};

template <typename Entry>
using Cache = std::map<std::tuple<std::array<int64_t, 17>, int>, std::unique_ptr<Entry>>;

}  // namespace

void conv_forward(const ConvGeometry& g, const float* src, const float* weights, const float* bias, bool relu,
                  float* dst) {
  thread_local Cache<ForwardEntry> cache;  // per thread: data-parallel shards (libs/divblurring) call from several
  ThreadsForWork scope(g.multiply_adds());
  const bool bf16 = bf16_for(g, true);
  auto key = std::make_tuple(g.key(), (bias ? 1 : 0) | (relu ? 2 : 0) | (bf16 ? 4 : 0) | (scope.threads() << 3));
  auto& slot = cache[key];
  Descs d = descs_of(g);
  if (!slot) {
    auto pd = forward_pd(g, bias != nullptr, relu, dnnl::prop_kind::forward_training, bf16 ? dt::bf16 : dt::f32);
    slot = std::make_unique<ForwardEntry>(ForwardEntry{dnnl::convolution_forward(pd), {}, {}});
    plan_weights(slot->weights, g, pd.weights_desc());
    if (bf16) plan_bf16(slot->src, d.src, src_dims(g));
  }
  auto& engine = cpu_engine();
  auto& stream = cpu_stream();
  memory src_mem = bf16 ? to_bf16(slot->src, src) : memory(d.src, engine, const_cast<float*>(src));
  memory dst_mem(d.dst, engine, dst);
  memory user_w(d.weights_user, engine, const_cast<float*>(weights));
  memory w_mem = user_w;
  if (slot->weights.reorder_needed) {
    reorder_single_threaded(*slot->weights.to_wanted, user_w, *slot->weights.scratch);
    w_mem = *slot->weights.scratch;
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_DST, dst_mem}};
  if (bias) args.insert({DNNL_ARG_BIAS, memory(d.bias, engine, const_cast<float*>(bias))});
  slot->prim.execute(stream, args);
  stream.wait();
}

void conv_backward_data(const ConvGeometry& g, const float* diff_dst, const float* weights, float* diff_src) {
  thread_local Cache<BackwardDataEntry> cache;  // per thread: data-parallel shards (libs/divblurring) call from several
  ThreadsForWork scope(g.multiply_adds());
  const bool bf16 = bf16_for(g, false);
  auto& slot = cache[std::make_tuple(g.key(), (bf16 ? 1 : 0) | (scope.threads() << 1))];
  Descs d = descs_of(g);
  if (!slot) {
    const dt in = bf16 ? dt::bf16 : dt::f32;
    Descs b = descs_of(g, in);
    auto hint = forward_pd(g, false, false, dnnl::prop_kind::forward_training, in);
    // diff_src (written) f32; weights and diff_dst (read) in `in`.
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.src, b.weights_any,
                                               memory::desc(dst_dims(g), in, tag::nhwc), d.strides, d.dilates, d.pad_l, d.pad_r);
    dnnl::convolution_backward_data::primitive_desc pd(desc, cpu_engine(), hint);
    slot = std::make_unique<BackwardDataEntry>(BackwardDataEntry{dnnl::convolution_backward_data(pd), {}, {}});
    plan_weights(slot->weights, g, pd.weights_desc());
    if (bf16) plan_bf16(slot->diff_dst, d.dst, dst_dims(g));
  }
  auto& engine = cpu_engine();
  auto& stream = cpu_stream();
  memory user_w(d.weights_user, engine, const_cast<float*>(weights));
  memory w_mem = user_w;
  if (slot->weights.reorder_needed) {
    reorder_single_threaded(*slot->weights.to_wanted, user_w, *slot->weights.scratch);
    w_mem = *slot->weights.scratch;
  }
  memory dy_mem = bf16 ? to_bf16(slot->diff_dst, diff_dst) : memory(d.dst, engine, const_cast<float*>(diff_dst));
  if (bf16 && t_share_diff_dst) {
    t_shared_source = diff_dst;
    t_shared_bf16 = slot->diff_dst.scratch.get();
  }
  slot->prim.execute(stream, {{DNNL_ARG_DIFF_DST, dy_mem},
                              {DNNL_ARG_WEIGHTS, w_mem},
                              {DNNL_ARG_DIFF_SRC, memory(d.src, engine, diff_src)}});
  stream.wait();
}

void conv_backward_weights(const ConvGeometry& g, const float* src, const float* diff_dst, float* diff_weights) {
  thread_local Cache<BackwardWeightsEntry> cache;  // per thread: data-parallel shards (libs/divblurring) call from several
  ThreadsForWork scope(g.multiply_adds());
  const bool bf16 = bf16_for(g, false);
  auto& slot = cache[std::make_tuple(g.key(), (bf16 ? 1 : 0) | (scope.threads() << 1))];
  Descs d = descs_of(g);
  if (!slot) {
    const dt in = bf16 ? dt::bf16 : dt::f32;
    Descs b = descs_of(g, in);
    auto hint = forward_pd(g, false, false, dnnl::prop_kind::forward_training, in);
    // src and diff_dst (read) in `in`; diff_weights (written) f32.
    dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, b.src, d.weights_any,
                                                  memory::desc(dst_dims(g), in, tag::nhwc), d.strides, d.dilates, d.pad_l, d.pad_r);
    dnnl::convolution_backward_weights::primitive_desc pd(desc, cpu_engine(), hint);
    slot = std::make_unique<BackwardWeightsEntry>(BackwardWeightsEntry{dnnl::convolution_backward_weights(pd), {}, {}, {}});
    plan_weights(slot->weights, g, pd.diff_weights_desc());
    if (bf16) {
      plan_bf16(slot->src, d.src, src_dims(g));
      plan_bf16(slot->diff_dst, d.dst, dst_dims(g));
    }
  }
  auto& engine = cpu_engine();
  auto& stream = cpu_stream();
  memory user_w(d.weights_user, engine, diff_weights);
  memory w_mem = slot->weights.reorder_needed ? *slot->weights.scratch : user_w;
  memory x_mem = bf16 ? to_bf16(slot->src, src) : memory(d.src, engine, const_cast<float*>(src));
  const bool shared = bf16 && t_share_diff_dst && t_shared_source == diff_dst && t_shared_bf16 != nullptr;
  memory dy_mem = shared ? *t_shared_bf16
                         : bf16 ? to_bf16(slot->diff_dst, diff_dst) : memory(d.dst, engine, const_cast<float*>(diff_dst));
  slot->prim.execute(stream, {{DNNL_ARG_SRC, x_mem},
                              {DNNL_ARG_DIFF_DST, dy_mem},
                              {DNNL_ARG_DIFF_WEIGHTS, w_mem}});
  stream.wait();
  if (slot->weights.reorder_needed) reorder_single_threaded(*slot->weights.to_user, *slot->weights.scratch, user_w);
}

void conv_relu_backward(const ConvGeometry& g, const float* dy, const float* y, const float* src, const float* weights,
                        float* diff_src, float* diff_weights, float* diff_bias) {
  thread_local std::vector<float> dz;  // per thread, grown once: no 16 MB output allocated (and collected) per layer
  const size_t size = static_cast<size_t>(g.n * g.oh * g.ow * g.oc);
  if (dz.size() < size) dz.resize(size);
  relu_bias_backprop(g.n * g.oh * g.ow, g.oc, dy, y, dz.data(), diff_bias);
  t_share_diff_dst = true;
  try {
    conv_backward_data(g, dz.data(), weights, diff_src);
    conv_backward_weights(g, src, dz.data(), diff_weights);
  } catch (...) {
    t_share_diff_dst = false;
    t_shared_source = nullptr;
    t_shared_bf16 = nullptr;
    throw;
  }
  t_share_diff_dst = false;
  t_shared_source = nullptr;
  t_shared_bf16 = nullptr;
}

// bf16 is taken only where all three passes of a typical layer (32 → 32 channels, 3×3) have an optimised bf16
// implementation (AMX or avx512_bf16); a CPU without them would get reference loops, far slower than f32.
// "amx", "avx512_bf16" or "none".
std::string conv_bf16_isa() {
  static const std::string isa = [] {
    const int saved = g_bf16;
    g_bf16 = 1;
    std::string found = "none";
    try {
      std::string names = conv_impl_names({8, 16, 16, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1});
      if (names.find("ref") == std::string::npos && names.find("bf16") != std::string::npos) {
        found = names.find("amx") != std::string::npos ? "amx" : "avx512_bf16";
      }
    } catch (const dnnl::error&) {
      found = "none";
    }
    g_bf16 = saved;
    return found;
  }();
  return isa;
}

bool bf16_supported() { return conv_bf16_isa() != "none"; }

int set_conv_bf16(int mode) {
  g_bf16 = mode != 0 && bf16_supported() ? mode : 0;
  return g_bf16;
}
int conv_bf16() { return g_bf16; }

std::string conv_impl_names(const ConvGeometry& g) {
  const dt in = bf16_for(g, false) ? dt::bf16 : dt::f32;
  auto fwd = forward_pd(g, false, false, dnnl::prop_kind::forward_training, bf16_for(g, true) ? dt::bf16 : dt::f32);
  Descs d = descs_of(g);
  Descs b = descs_of(g, in);
  memory::desc dst_in(dst_dims(g), in, tag::nhwc);
  dnnl::convolution_backward_data::primitive_desc bd(
      dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, d.src, b.weights_any, dst_in,
                                            d.strides, d.dilates, d.pad_l, d.pad_r),
      cpu_engine(), fwd);
  dnnl::convolution_backward_weights::primitive_desc bw(
      dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, b.src, d.weights_any, dst_in,
                                               d.strides, d.dilates, d.pad_l, d.pad_r),
      cpu_engine(), fwd);
  return std::string(fwd.impl_info_str()) + " / " + bd.impl_info_str() + " / " + bw.impl_info_str();
}

}  // namespace divblur
