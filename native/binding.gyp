{
  "targets": [
    {
      "target_name": "lengua_torch",
      "sources": ["src/binding.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node find-libtorch.mjs include)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "defines!": ["NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations", "<!@(node find-libtorch.mjs cflags)"],
      "libraries": ["<!@(node find-libtorch.mjs libs)"],
      "ldflags": ["<!@(node find-libtorch.mjs ldflags)"]
    }
  ]
}
