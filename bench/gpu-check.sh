#!/usr/bin/env bash
# The real-GPU check of the WebGPU target (docs/webgpu-target.md, "On a real GPU"): Kiln's WebGPU
# runtime and onnxruntime-web's WebGPU EP on the corpus, per-model ms, and Kiln's GEMM GFLOP/s.
#
# Here (the development machine, from the repository root):
#   bench/gpu-check.sh prepare [MODEL...]    # default: squeezenet1_1 mobilenet_v2 transformer_encoder mlp
# builds .gpu/ (ignored by git): ../shared/tools/gpu-carry.sh's node + Vulkan loader + setup.sh, the
# check bundled into one file (.gpu/kiln/gpu-check.mjs: esbuild, no binaryen, no onnxruntime-node),
# trimmed copies of the two native/wasm packages it imports (webgpu: dist/linux-x64 only;
# onnxruntime-web: its WebGPU entry and asyncify .wasm), both large files xz-compressed, and the
# models with their test_data_set_0. It refuses to finish above 60 MiB (the device tool carries
# 64 MiB, the working tree included).
# Then, through the device tool: run(carry: [".gpu"], command:
#   ". .gpu/setup.sh && bash bench/gpu-check.sh run", timeout_s: 540)
# which writes gpu-check.{json,md} and the log into $OUT (save them under bench/results/).
# `bench/gpu-check.sh run` works on lavapipe too (without setup.sh), with OUT unset: .gpu/out.
set -euo pipefail
cd "$(dirname "$0")/.."
GPU=.gpu
BUDGET_MIB=60

prepare() {
  local models=("$@")
  [ ${#models[@]} -gt 0 ] || models=(squeezenet1_1 mobilenet_v2 transformer_encoder mlp)
  [ -f "$GPU/setup.sh" ] || ../shared/tools/gpu-carry.sh "$GPU"
  rm -rf "$GPU/kiln" "$GPU/node_modules" "$GPU/models" "$GPU/xz"
  mkdir -p "$GPU/kiln" "$GPU/xz" "$GPU/models"
  npx esbuild bench/gpu-check.ts --bundle --platform=node --format=esm --target=node20 \
    --external:webgpu --external:onnxruntime-web --log-level=warning --outfile="$GPU/kiln/gpu-check.mjs" \
    --banner:js="import { createRequire as __kilnRequire } from 'node:module'; const require = __kilnRequire(import.meta.url);"
  # webgpu: its loader picks dist/<platform>-<arch>/dawn.node; only linux-x64 travels
  local w="$GPU/node_modules/webgpu"
  mkdir -p "$w/dist/linux-x64"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$w/"
  xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$GPU/xz/webgpu__dist__linux-x64__dawn.node.xz"
  # onnxruntime-web: the webgpu entry, its asyncify glue and .wasm (the EP's build in 1.30)
  local o="$GPU/node_modules/onnxruntime-web"
  mkdir -p "$o/dist"
  cp node_modules/onnxruntime-web/package.json "$o/"
  cp node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs "$o/dist/"
  xz -T2 -6 -c node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm > "$GPU/xz/onnxruntime-web__dist__ort-wasm-simd-threaded.asyncify.wasm.xz"
  for m in "${models[@]}"; do
    cp "../shared/models/torch/$m.onnx" "$GPU/models/"
    mkdir -p "$GPU/models/$m"
    cp -r "../shared/models/torch/$m/test_data_set_0" "$GPU/models/$m/"
  done
  local mib
  mib=$(du -sm "$GPU" | cut -f1)
  echo "$GPU: ${mib} MiB (models: ${models[*]})"
  if [ "$mib" -gt "$BUDGET_MIB" ]; then
    echo "too large for the device tool's 64 MiB: choose fewer or smaller models" >&2
    exit 1
  fi
}

run() {
  # unpack the compressed files where the packages expect them (python3: there may be no xz there)
  for f in "$GPU"/xz/*.xz; do
    local rel
    rel=$(basename "$f" .xz)
    rel=${rel//__//}
    [ -f "$GPU/node_modules/$rel" ] || python3 -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$f" "$GPU/node_modules/$rel"
  done
  local out=${OUT:-$GPU/out}
  mkdir -p "$out"
  echo "node $(node --version); $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi')"
  set -o pipefail
  node --liftoff-only --expose-gc "$GPU/kiln/gpu-check.mjs" --models "$GPU/models" --out "$out" \
    --runs "${RUNS:-20}" --warmup "${WARMUP:-5}" --gemm "${GEMM_N:-2048}" 2>&1 \
    | grep -v '^Warning: maxDynamic' | tee "$out/gpu-check.log"
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  run) run ;;
  *) echo "usage: bench/gpu-check.sh prepare [MODEL...] | run" >&2; exit 2 ;;
esac
