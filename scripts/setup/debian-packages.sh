#!/bin/sh
# Debian packages that WebGPU in Node (the `webgpu` npm package, Dawn) needs for the trainer's
# webgpu backend (trainer/webgpu.ts). Installs only what is missing; prints nothing when all is there.
#
#   sh scripts/setup/debian-packages.sh                    Mesa llvmpipe through OpenGL ES (the fast path)
#   sh scripts/setup/debian-packages.sh --with-swiftshader also SwiftShader Vulkan (the fallback; chromium, ~80 MB)
#   sh scripts/setup/debian-packages.sh --with-chromium    also chromium, for the browser tests (test/browser/,
#                                                          playwright-core drives /usr/bin/chromium; `npx playwright
#                                                          install` cannot download a browser on these machines)
#
# Why these (checked with LD_DEBUG on Debian 12):
#   libegl-dev       Dawn dlopens the unversioned "libEGL.so", which only the -dev package provides
#                    (it pulls libegl1, the GLVND dispatcher)
#   libegl-mesa0     Mesa's EGL vendor library (libEGL_mesa.so.0 and the GLVND vendor file)
#   libgl1-mesa-dri  swrast_dri.so: llvmpipe itself
#   libvulkan1       the Vulkan loader (Dawn dlopens libvulkan.so.1)
#   chromium         /usr/lib/chromium/libvk_swiftshader.so and vk_swiftshader_icd.json
set -eu

packages="libegl-dev libegl-mesa0 libgl1-mesa-dri"
for arg in "$@"; do
  case "$arg" in
    --with-swiftshader) packages="$packages libvulkan1 chromium" ;;
    --with-chromium) packages="$packages chromium" ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "debian-packages.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "debian-packages.sh: not a Debian system (no dpkg-query); WebGPU in Node needs Mesa's EGL with llvmpipe" >&2
  echo "  (libEGL.so, libEGL_mesa.so.0, swrast_dri.so) or a Vulkan loader with SwiftShader; install them yourself." >&2
  exit 1
fi

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing="$missing $p"; fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "debian-packages.sh: missing Debian packages:$missing, and apt-get is not available to install them" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "debian-packages.sh: missing Debian packages:$missing; run as root, or: sudo apt-get install --no-install-recommends$missing" >&2
  exit 1
fi

echo "debian-packages.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # word splitting of the package list is intended
if ! apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends $missing >/dev/null; then
  apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null
  apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends $missing >/dev/null
fi
