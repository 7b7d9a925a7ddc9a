#!/bin/sh
# Runs on the GPU machine (the device's `run`, carry [".gpu", "dist/cli.mjs"], packed by
# bench/gpu/pack.sh): the figures only a real GPU gives (issue 14), each file into
# $OUT, a short table last. GPU time is scarce (15 minutes a session, starts included):
# everything runs in one call. SMALL=1 shrinks every size, to try the script on a
# machine without a GPU (SwiftShader) before spending device time.
#   bench.json   etascape bench at 2^24 particles: engine, bare kernel, peer rows, map
#   frame.json   etascape bench at 2^20 particles, 10 steps per dispatch: the page's
#                compute kernel at its 10 steps per frame (the page itself needs a browser)
#   map.txt      a 2048^2 map of 1000 steps (GD on Rosenbrock, lr x start x), timed whole
#   adapter.txt  nvidia-smi's name, driver and memory; summary.txt the table
set -eu
OUT=${OUT:-/tmp/etascape-gpu-out}
mkdir -p "$OUT"
T=/tmp/etascape-gpu
mkdir -p "$T/bin" node_modules/webgpu/dist/linux-x64
[ -x "$T/bin/node" ] || xz -dc .gpu/node.xz > "$T/bin/node"
chmod +x "$T/bin/node"
cp .gpu/webgpu/index.js .gpu/webgpu/package.json node_modules/webgpu/
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || xz -dc .gpu/webgpu/dawn.node.xz > node_modules/webgpu/dist/linux-x64/dawn.node
# The Vulkan loader where the machine has none; the NVIDIA driver's manifest where the loader finds none.
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gpu/deb/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${SMALL:-}" ]; then
  export ETASCAPE_GPU=native
  [ -f "$nv" ] && export VK_DRIVER_FILES="$nv"
fi
node() { "$T/bin/node" "$@"; }
if [ -n "${SMALL:-}" ]; then N=65536; MAP=64; else N=16777216; MAP=2048; fi
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true; } > "$OUT/adapter.txt"
node dist/cli.mjs bench --n "$N" --json --out "$OUT/bench.json" > /dev/null 2> "$OUT/bench.log"
node dist/cli.mjs bench --n "$((N < 1048576 ? N : 1048576))" --steps 10 --peer-n 0 --map-res 0 --json --out "$OUT/frame.json" > /dev/null 2>> "$OUT/bench.log"
# The map, timed whole (device, compilation, the run, its tile written to local disk):
# one shard of one computes every row and writes no figure (no canvas module needed).
start=$(date +%s%N)
node dist/cli.mjs map --surface rosenbrock --optimizer sgd --x lr:1e-5:3e-3:log --y x0:-2:2:lin \
  --res "$MAP" --steps 1000 --shard 0/1 --tile "$T/map.tile" > "$OUT/map.txt" 2>&1
end=$(date +%s%N)
echo "map ${MAP}^2 x 1000 steps: $(((end - start) / 1000000)) ms wall" >> "$OUT/map.txt"
node --input-type=module -e '
import { readFileSync } from "node:fs";
for (const f of process.argv.slice(1)) {
  const r = JSON.parse(readFileSync(f, "utf8"));
  console.log(f.split("/").pop(), "adapter:", r.adapter);
  for (const w of r.workloads) console.log(" ", w.name.padEnd(40), w.particles, w.particle_steps_per_second.toExponential(3));
  for (const p of r.peers ?? []) console.log(" ", (p.optimizer + " " + p.surface).padEnd(40), "engine/bare", p.engine_vs_bare.toFixed(2));
  console.log("  ratios", JSON.stringify(r.ratios));
}
' "$OUT/bench.json" "$OUT/frame.json" | tee "$OUT/summary.txt"
tail -3 "$OUT/map.txt" | tee -a "$OUT/summary.txt"
