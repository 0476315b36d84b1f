{
  "targets": [
    {
      "target_name": "divblur_tfjs_native",
      "sources": ["native/addon.cc", "native/conv.cc", "native/pool.cc", "native/eltwise.cc", "native/layout.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "conditions": [
        ["target_arch=='x64'", { "cflags_cc": ["-march=x86-64-v3"] }]
      ]
    }
  ]
}
