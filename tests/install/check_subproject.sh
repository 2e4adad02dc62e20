#!/usr/bin/env bash
# xgrad as a Meson subproject: a parent project (tests/install/subproject/meson.build) whose
# subprojects/xgrad links to this source tree builds downstream.cpp with dependency('xgrad'),
# and must print expected.txt; xgrad's tests and examples must not be part of the parent's build.
# This compiles libxgrad again (at -O0, library and program only), in a directory kept under
# the build tree so that later runs only rebuild what changed.
#
#   check_subproject.sh WORK_DIR XGRAD_SOURCE_ROOT TEST_SOURCE_DIR CXX...
set -euo pipefail

work=$1 xgrad_root=$2 source_dir=$3
shift 3
cxx=("$@")

parent=$work/parent
mkdir -p "$parent/subprojects"
cp "$source_dir/subproject/meson.build" "$source_dir/downstream.cpp" "$parent/"
ln -sfn "$xgrad_root" "$parent/subprojects/xgrad"

start=$SECONDS
if [[ ! -f $work/build/build.ninja ]]; then
  rm -rf "$work/build"
  # -O0: this checks the Meson integration, not the code; it halves the compile time.
  CXX="${cxx[*]}" meson setup "$work/build" "$parent" -Doptimization=0 -Ddebug=false \
    > "$work/setup.log" 2>&1 || { cat "$work/setup.log"; echo "FAIL: meson setup of the parent project"; exit 1; }
fi
ninja -C "$work/build" -j"${XGRAD_CI_JOBS:-2}" downstream > "$work/build.log" 2>&1 \
  || { cat "$work/build.log"; echo "FAIL: building the parent project"; exit 1; }
echo "parent project configured and built in $((SECONDS - start)) s"

# In a subproject, 'auto' means no tests and no examples.
built=$(meson introspect --targets "$work/build" | grep -o -E '"name": "(test_[A-Za-z0-9_]+|lenet)"' || true)
if [[ -n $built ]]; then
  echo "FAIL: the parent project builds xgrad's tests or examples ($built); they should be off in a subproject"
  exit 1
fi
if [[ $(meson introspect --tests "$work/build") != "[]" ]]; then
  echo "FAIL: the parent project has xgrad's tests:"
  meson introspect --tests "$work/build" | head -c 600
  exit 1
fi

"$work/build/downstream" > "$work/out.txt"
if diff -u "$source_dir/expected.txt" "$work/out.txt"; then
  echo "OK (meson subproject): dependency('xgrad') from a parent project builds the downstream program"
else
  echo "FAIL (meson subproject): downstream output differs (above)"
  exit 1
fi
