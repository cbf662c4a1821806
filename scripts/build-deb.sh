#!/usr/bin/env bash
# build-deb.sh — builds the Debian package: dist/legit-milter_<version>_<arch>.deb
#
#   scripts/build-deb.sh                  configure build-deb/ (Release, prefix
#                                         /usr, Debian's hardening flags), build
#                                         the milter and its man pages, package
#   scripts/build-deb.sh --build-dir DIR  package an existing build instead
#                                         (the package test packs the build
#                                         under test this way)
#   --out DIR                             write the .deb there (default dist/)
#
# Prints the path of the .deb on the last line. What the package holds and
# does: packaging/install.cmake and packaging/deb/cpack.cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
build=""
out=$SRC/dist
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build=$(cd "$2" && pwd); shift 2 ;;
    --out) mkdir -p "$2"; out=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for tool in cmake cpack dpkg-deb dpkg-shlibdeps; do
  command -v $tool >/dev/null || { echo "build-deb.sh: $tool is missing (scripts/deps.sh build)" >&2; exit 1; }
done

if [ -z "$build" ]; then
  build=$SRC/build-deb
  export DEB_BUILD_MAINT_OPTIONS=hardening=+all
  cmake -S "$SRC" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DLEGIT_SYSCONFDIR=/etc \
    -DCMAKE_CXX_FLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
    -DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" >/dev/null
  cmake --build "$build" -j"$(nproc)" --target legit-milter man-pages
fi
[ -f "$build/CPackConfig.cmake" ] || { echo "build-deb.sh: $build is not a configured build" >&2; exit 1; }
sysconf=$(sed -n 's/^LEGIT_SYSCONFDIR:PATH=//p' "$build/CMakeCache.txt")
[ "$sysconf" = /etc ] || { echo "build-deb.sh: $build has LEGIT_SYSCONFDIR=$sysconf, the package needs /etc" >&2; exit 1; }
# CPack works in a directory of its own, so two runs never share one.
work=$(mktemp -d /tmp/legit-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2; echo "build-deb.sh: cpack failed" >&2; exit 1; }
deb=$(ls "$work"/out/legit-milter_*.deb)
mkdir -p "$out"
mv -f "$deb" "$out/"
echo "$out/$(basename "$deb")"
