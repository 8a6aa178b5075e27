#!/usr/bin/env bash
# Installs Mesa 25's lavapipe (Vulkan on the CPU) beside the checkout, for WebGPU in Node through
# Dawn (the `webgpu` npm package): bookworm's own Mesa 22.3 gives Dawn no adapter
# ("shaderUniform*ArrayDynamicIndexing required"); Mesa 25 is ~6x faster than SwiftShader. The backports packages are unpacked with dpkg -x into DIR, not
# installed, so the system's Mesa and libdrm stay as they are. Writes DIR/icd.json and DIR/env.
set -euo pipefail
DIR=${1:?usage: lavapipe.sh DIR}
mkdir -p "$DIR/lists/partial" "$DIR/debs"
echo "deb http://deb.debian.org/debian bookworm-backports main" > "$DIR/backports.list"
O=(-o "Dir::Etc::SourceList=$DIR/backports.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$DIR/lists")
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Runtime libraries lavapipe links against that bookworm has in versions new enough.
apt-get install -y -qq libvulkan1 libllvm15 libwayland-client0 libx11-xcb1 libxcb-dri3-0 libxcb-present0 \
  libxcb-randr0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxshmfence1 libelf1 libexpat1 libzstd1 >/dev/null
apt-get "${O[@]}" update -qq
(cd "$DIR/debs" && apt-get "${O[@]}" download mesa-vulkan-drivers libdrm2 libdrm-amdgpu1 2>&1 | grep -v '^W:' || true)
for deb in "$DIR"/debs/*.deb; do dpkg -x "$deb" "$DIR/root"; done
LIB="$DIR/root/usr/lib/$(uname -m)-linux-gnu"
test -f "$LIB/libvulkan_lvp.so"
printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s/libvulkan_lvp.so","api_version":"1.3.0"}}\n' "$LIB" > "$DIR/icd.json"
printf 'export VK_ICD_FILENAMES=%q\nexport LD_LIBRARY_PATH=%q\n' "$DIR/icd.json" "$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" > "$DIR/env"
echo "lavapipe ready in $DIR"
