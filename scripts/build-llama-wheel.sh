#!/usr/bin/env bash
# Build (once) and install a portable llama-cpp-python wheel into the given Python's environment.
#
# Why: pip compiles llama.cpp from source with -march=native by default, and pip's wheel cache
# then hands that binary to every later install on the machine. A build made on one CPU used
# instruction paths (AVX-512 / AMX) that crashed on inference on another machine of the same
# kind. This builds with GGML_NATIVE=OFF and a fixed x86-64-v3 instruction set (SSE4.2, AVX,
# AVX2, BMI2, FMA, F16C; no AVX-512, no AMX), keeps the wheel in a cache keyed by version and
# flags (never pip's cache), and smoke-tests a chat completion before it says it is done.
#
# Usage: scripts/build-llama-wheel.sh PYTHON CONSTRAINTS_FILE
set -euo pipefail
python=${1:?usage: build-llama-wheel.sh PYTHON CONSTRAINTS_FILE}
constraints=${2:?usage: build-llama-wheel.sh PYTHON CONSTRAINTS_FILE}

version=$(sed -n 's/^llama[-_]cpp[-_]python==\([^ ;]*\).*/\1/p' "$constraints")
[ -n "$version" ] || { echo "error: $constraints pins no llama-cpp-python version" >&2; exit 2; }

cmake_args="-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_BMI2=ON"
cmake_args+=" -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF"
cmake_args+=" -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF"
cmake_args+=" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
cmake_args+=" -DGGML_BLAS=OFF -DGGML_CCACHE=OFF -DLLAVA_BUILD=OFF"
key=$(printf '%s %s' "$version" "$cmake_args" | sha256sum | cut -c1-12)
cache=${SERVICEPILOT_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/servicepilot/wheels}/llama-cpp-python-$version-$key

wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
  echo "Compiling llama-cpp-python $version for x86-64-v3 (portable; 10-15 min the first time)..."
  tmp=$(mktemp -d)
  # --no-cache-dir: never take (or leave) a natively compiled wheel in pip's cache.
  CMAKE_ARGS="$cmake_args" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) FORCE_CMAKE=1 \
    "$python" -m pip wheel --quiet --disable-pip-version-check --no-cache-dir --no-deps \
    --no-binary llama-cpp-python -c "$constraints" -w "$tmp" "llama-cpp-python==$version"
  mkdir -p "$cache"
  mv "$tmp"/llama_cpp_python-*.whl "$cache"/
  rm -rf "$tmp"
  wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl | head -n 1)
fi
"$python" -m pip install --quiet --disable-pip-version-check -c "$constraints" "$wheel[server]"
