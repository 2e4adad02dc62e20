#!/usr/bin/env bash
# Installs the built tree into a temporary DESTDIR, then compiles and runs a downstream program
# with nothing but `pkg-config --cflags --libs xgrad` and compares its output.
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

# The .pc file names the real prefix; PKG_CONFIG_SYSROOT_DIR relocates its -I/-L into DESTDIR.
flags=$(PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" PKG_CONFIG_SYSROOT_DIR="$tmp/root" \
        pkg-config --cflags --libs xgrad)
echo "pkg-config --cflags --libs xgrad: $flags"

san=()
if [[ -n $sanitize && $sanitize != none ]]; then
  # A sanitized libxgrad needs the sanitizer runtime first in the program, as the tree's tests.
  san=("-fsanitize=$sanitize")
fi

# shellcheck disable=SC2086  # $flags is a list of words on purpose
"${cxx[@]}" -std=c++20 "${san[@]}" "$source_dir/downstream.cpp" -o "$tmp/downstream" $flags
LD_LIBRARY_PATH="$tmp/root$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/downstream" > "$tmp/out.txt"

if diff -u "$source_dir/expected.txt" "$tmp/out.txt"; then
  echo "OK: downstream program built from the installed xgrad prints the expected output"
else
  echo "FAIL: downstream output differs (above)"
  exit 1
fi
