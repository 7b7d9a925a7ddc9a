#!/bin/sh
# Packs what `bench/gpu/run.sh` needs on the GPU machine, which has no Node.js and
# reaches no registry (../shared/GPU-DEVICE.md): the bundled CLI (dist/cli.mjs), this
# machine's node binary, the `webgpu` package's Dawn module and the Vulkan loader as
# Debian packages, into .gpu/ (ignored by git: .git/info/exclude). Run once, here;
# then call the device's `run` with carry [".gpu", "dist/cli.mjs"] (bench/README.md).
set -eu
cd "$(dirname "$0")/../.."
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
mkdir -p .gpu/webgpu .gpu/deb
npm run build:cli --silent
xz -T2 -c "$(command -v node)" > .gpu/node.xz
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .gpu/webgpu/
xz -T2 -c node_modules/webgpu/dist/linux-x64/dawn.node > .gpu/webgpu/dawn.node.xz
# The Vulkan loader, for the amd64 machine whatever this one is.
lists=/tmp/etascape-amd64-lists
mkdir -p "$lists/partial"
o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
# shellcheck disable=SC2086
apt-get $o update -qq
# shellcheck disable=SC2086
(cd .gpu/deb && apt-get $o download -qq libvulkan1)
du -sh .gpu dist/cli.mjs
