// N-API bindings: each function takes Float32Arrays owned by tfjs's cpu backend and writes into an output
// Float32Array the caller allocated, so no tensor data is copied on the way in or out.
#include <napi.h>
#include <malloc.h>
#include <omp.h>

#include "conv.h"
#include "eltwise.h"
#include "layout.h"
#include "pool.h"

namespace {

using divblur::ConvGeometry;

float* floats(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
const float* floats_or_null(const Napi::Value& v) { return v.IsNull() || v.IsUndefined() ? nullptr : floats(v); }

ConvGeometry geometry(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  int64_t g[17];
  for (uint32_t i = 0; i < 17; i++) g[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return {g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], g[16]};
}

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F body) {
  try {
    body();
  } catch (const dnnl::error& e) {
    Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what()).ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// convForward(geometry, x, filter, bias | null, relu, out)
Napi::Value ConvForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    divblur::conv_forward(geometry(info[0]), floats(info[1]), floats(info[2]), floats_or_null(info[3]),
                          info[4].As<Napi::Boolean>().Value(), floats(info[5]));
  });
}

// convBackwardData(geometry, dy, filter, dxOut)
Napi::Value ConvBackwardData(const Napi::CallbackInfo& info) {
  return guarded(info, [&] { divblur::conv_backward_data(geometry(info[0]), floats(info[1]), floats(info[2]), floats(info[3])); });
}

// convBackwardWeights(geometry, x, dy, dwOut)
Napi::Value ConvBackwardWeights(const Napi::CallbackInfo& info) {
  return guarded(info, [&] { divblur::conv_backward_weights(geometry(info[0]), floats(info[1]), floats(info[2]), floats(info[3])); });
}

// convReluBackward(geometry, dy, y, x, filter, dxOut, dwOut, dbOut)
Napi::Value ConvReluBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    divblur::conv_relu_backward(geometry(info[0]), floats(info[1]), floats(info[2]), floats(info[3]), floats(info[4]),
                                floats(info[5]), floats(info[6]), floats(info[7]));
  });
}

Napi::Value ConvImplNames(const Napi::CallbackInfo& info) {
  std::string names;
  guarded(info, [&] { names = divblur::conv_impl_names(geometry(info[0])); });
  return Napi::String::New(info.Env(), names);
}

divblur::PoolGeometry pool_geometry(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  int64_t g[10];
  for (uint32_t i = 0; i < 10; i++) g[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return {g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9]};
}

// maxPoolForward(poolGeometry, x, out)
Napi::Value MaxPoolForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] { divblur::max_pool_forward(pool_geometry(info[0]), floats(info[1]), floats(info[2])); });
}

// maxPoolBackward(poolGeometry, x, dy, dxOut)
Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] { divblur::max_pool_backward(pool_geometry(info[0]), floats(info[1]), floats(info[2]), floats(info[3])); });
}

std::vector<int64_t> ints(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

int64_t int_of(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }

// binary(op, broadcast, size, period, a, b, out)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    divblur::binary(static_cast<divblur::BinaryOp>(int_of(info[0])), static_cast<divblur::Broadcast>(int_of(info[1])),
                    int_of(info[2]), int_of(info[3]), floats(info[4]), floats(info[5]), floats(info[6]));
  });
}

// unary(op, alpha, x, out)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    auto x = info[2].As<Napi::Float32Array>();
    divblur::unary(static_cast<divblur::UnaryOp>(int_of(info[0])), static_cast<int64_t>(x.ElementLength()),
                   info[1].As<Napi::Number>().FloatValue(), x.Data(), floats(info[3]));
  });
}

// reduceSum(outer, reduced, inner, x, out)
Napi::Value ReduceSum(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    divblur::reduce_sum(int_of(info[0]), int_of(info[1]), int_of(info[2]), floats(info[3]), floats(info[4]));
  });
}

// reluBiasBackprop(rows, channels, dy, y, dzOut, dbOut)
Napi::Value ReluBiasBackprop(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    divblur::relu_bias_backprop(int_of(info[0]), int_of(info[1]), floats(info[2]), floats(info[3]), floats(info[4]), floats(info[5]));
  });
}

// adamUpdate(p, m, v, g, beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, stepSize, secondMomentCorrection, pOut, mOut, vOut)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    auto p = info[0].As<Napi::Float32Array>();
    const auto number = [&](int i) { return info[i].As<Napi::Number>().FloatValue(); };
    divblur::adam_update(static_cast<int64_t>(p.ElementLength()), p.Data(), floats(info[1]), floats(info[2]), floats(info[3]),
                         number(4), number(5), number(6), number(7), number(8), number(9), number(10), floats(info[11]),
                         floats(info[12]), floats(info[13]));
  });
}

// slice(shape, begin, size, x, out)
Napi::Value Slice(const Napi::CallbackInfo& info) {
  return guarded(info, [&] { divblur::slice(ints(info[0]), ints(info[1]), ints(info[2]), floats(info[3]), floats(info[4])); });
}

// batchMatMul(batchA, batchB, m, n, k, transposeA, transposeB, a, b, out)
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    divblur::batch_matmul(int_of(info[0]), int_of(info[1]), int_of(info[2]), int_of(info[3]), int_of(info[4]),
                          info[5].As<Napi::Boolean>().Value(), info[6].As<Napi::Boolean>().Value(), floats(info[7]),
                          floats(info[8]), floats(info[9]));
  });
}

// transpose(shape, perm, x, out)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  return guarded(info, [&] { divblur::transpose(ints(info[0]), ints(info[1]), floats(info[2]), floats(info[3])); });
}

// setConvBf16(mode 0|1|2): bf16 convolutions (see conv.h) for every later call; convBf16() reads it.
Napi::Value SetConvBf16(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), divblur::set_conv_bf16(info[0].As<Napi::Number>().Int32Value()));
}
Napi::Value ConvBf16(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), divblur::conv_bf16()); }
Napi::Value ConvBf16Isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), divblur::conv_bf16_isa()); }

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), omp_get_max_threads()); }

// setThreads(n): OpenMP threads for every later call (primitives are cached per thread count).
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  omp_set_num_threads(static_cast<int>(info[0].As<Napi::Number>().Int32Value()));
  return info.Env().Undefined();
}

// trimMemory(): gives free heap pages back to the OS (glibc malloc_trim), so RSS reflects live memory.
Napi::Value TrimMemory(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1); }

Napi::Value DnnlVersion(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("convForward", Napi::Function::New(env, ConvForward));
  exports.Set("convBackwardData", Napi::Function::New(env, ConvBackwardData));
  exports.Set("convBackwardWeights", Napi::Function::New(env, ConvBackwardWeights));
  exports.Set("convReluBackward", Napi::Function::New(env, ConvReluBackward));
  exports.Set("convImplNames", Napi::Function::New(env, ConvImplNames));
  exports.Set("maxPoolForward", Napi::Function::New(env, MaxPoolForward));
  exports.Set("maxPoolBackward", Napi::Function::New(env, MaxPoolBackward));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reduceSum", Napi::Function::New(env, ReduceSum));
  exports.Set("reluBiasBackprop", Napi::Function::New(env, ReluBiasBackprop));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  exports.Set("slice", Napi::Function::New(env, Slice));
  exports.Set("batchMatMul", Napi::Function::New(env, BatchMatMul));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("setConvBf16", Napi::Function::New(env, SetConvBf16));
  exports.Set("convBf16", Napi::Function::New(env, ConvBf16));
  exports.Set("convBf16Isa", Napi::Function::New(env, ConvBf16Isa));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("trimMemory", Napi::Function::New(env, TrimMemory));
  exports.Set("dnnlVersion", Napi::Function::New(env, DnnlVersion));
  return exports;
}

}  // namespace

NODE_API_MODULE(divblur_tfjs_native, Init)
