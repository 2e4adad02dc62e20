#!/usr/bin/env bash
# Installs the built tree into a temporary DESTDIR, then builds a downstream program against it
# the two ways a non-Meson project would, and compares each program's output with expected.txt:
#   1. nothing but `pkg-config --cflags --libs xgrad`;
#   2. CMake: find_package(xgrad 0.1) and xgrad::xgrad (tests/install/cmake/CMakeLists.txt,
#      which also checks the version file's answers);
#   3. the same CMake project after the whole installed tree is moved elsewhere: the CMake
#      package computes its paths from its own location, and names no installed path itself.
# CMake legs are skipped (with a message) when cmake is not installed.
#
#   check_install.sh BUILD_ROOT PREFIX LIBDIR SOURCE_DIR SANITIZE CXX...
set -euo pipefail

build_root=$1 prefix=$2 libdir=$3 source_dir=$4 sanitize=$5
shift 5
cxx=("$@")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xgrad-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build_root" --destdir "$tmp/root" --no-rebuild --quiet

# libdir may be relative to prefix (the default) or absolute.
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
pcdir=$tmp/root$libdir/pkgconfig
test -f "$pcdir/xgrad.pc" || { echo "FAIL: no xgrad.pc under $pcdir"; exit 1; }

san=()
if [[ -n $sanitize && $sanitize != none ]]; then
  # A sanitized libxgrad needs the sanitizer runtime first in the program, as the tree's tests.
  san=("-fsanitize=$sanitize")
fi

compare() {  # compare LEG OUTPUT
  if diff -u "$source_dir/expected.txt" "$2"; then
    echo "OK ($1): downstream program built from the installed xgrad prints the expected output"
  else
    echo "FAIL ($1): downstream output differs (above)"
    exit 1
  fi
}

# --- 1. pkg-config ------------------------------------------------------------------------
# The .pc file names the real prefix; PKG_CONFIG_SYSROOT_DIR relocates its -I/-L into DESTDIR.
flags=$(PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" PKG_CONFIG_SYSROOT_DIR="$tmp/root" \
        pkg-config --cflags --libs xgrad)
echo "pkg-config --cflags --libs xgrad: $flags"
# Only fmt is public (the headers include nothing else outside the standard library).
if ! requires=$(PKG_CONFIG_PATH="$pcdir" pkg-config --print-requires --print-requires-private xgrad); then
  echo "FAIL: pkg-config cannot read xgrad.pc"; exit 1
fi
if [[ $requires != fmt ]]; then
  echo "FAIL: xgrad.pc requires '$requires'; a shared libxgrad should make users require fmt only"
  exit 1
fi

# The installed <xgrad/version.hpp> says the version the .pc file says.
modversion=$(PKG_CONFIG_PATH="$pcdir" pkg-config --modversion xgrad)
if ! grep -q -F "#define XGRAD_VERSION \"$modversion\"" "$tmp/root$prefix/include/xgrad/version.hpp"; then
  echo "FAIL: installed xgrad/version.hpp does not define XGRAD_VERSION \"$modversion\" (pkg-config --modversion)"
  exit 1
fi

# shellcheck disable=SC2086  # $flags is a list of words on purpose
"${cxx[@]}" -std=c++20 "${san[@]}" "$source_dir/downstream.cpp" -o "$tmp/downstream" $flags
LD_LIBRARY_PATH="$tmp/root$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/downstream" > "$tmp/out.txt"
compare pkg-config "$tmp/out.txt"

# --- 2. CMake find_package ------------------------------------------------------------------
if ! command -v cmake > /dev/null; then
  echo "SKIP (cmake): cmake not installed"
  exit 0
fi
cmake_dir=$tmp/root$libdir/cmake/xgrad
for f in xgradConfig.cmake xgradConfigVersion.cmake; do
  test -f "$cmake_dir/$f" || { echo "FAIL: no $f under $cmake_dir"; exit 1; }
done
# Relocatable: no installed path is written into the package (only paths relative to it).
if grep -n -F -e "$prefix/" -e "$tmp" "$cmake_dir/xgradConfig.cmake"; then
  echo "FAIL: xgradConfig.cmake names an absolute install path (above)"
  exit 1
fi

# The compiler as Meson runs it: a launcher (ccache) first, when there is one.
launcher=()
if (( ${#cxx[@]} > 1 )); then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER="${cxx[0]}"); fi
cmake_leg() {  # cmake_leg LEG PREFIX_ROOT
  local leg=$1 root=$2 bdir=$tmp/cmake-$1
  cmake -S "$source_dir/cmake" -B "$bdir" -G Ninja -Wno-dev \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="${cxx[-1]}" "${launcher[@]}" \
    -DCMAKE_CXX_FLAGS="${san[*]}" -DCMAKE_PREFIX_PATH="$root$prefix" \
    -DXGRAD_DOWNSTREAM_SOURCE="$source_dir/downstream.cpp" > "$bdir.log" 2>&1 \
    || { cat "$bdir.log"; echo "FAIL ($leg): cmake configure"; exit 1; }
  grep -- '-- xgrad ' "$bdir.log"
  cmake --build "$bdir" > "$bdir.build.log" 2>&1 || { cat "$bdir.build.log"; echo "FAIL ($leg): cmake build"; exit 1; }
  # No LD_LIBRARY_PATH: CMake's build RPATH, taken from the imported location, finds the library.
  "$bdir/downstream" > "$bdir.out"
  compare "$leg" "$bdir.out"
}
cmake_leg cmake "$tmp/root"

# --- 3. the installed tree moved --------------------------------------------------------------
mv "$tmp/root" "$tmp/moved"
cmake_leg cmake-relocated "$tmp/moved"
# The relocated build must link the moved copy (the original directory no longer exists).
readelf -d "$tmp/cmake-cmake-relocated/downstream" | grep -q -F "$tmp/moved" \
  || { echo "FAIL (cmake-relocated): the program's RPATH does not point into the moved tree"; exit 1; }
