#!/usr/bin/env bash
# Every public header compiles on its own under clang with -Wall -Wextra -Werror: a translation
# unit holding only `#include <xgrad/X.hpp>`, with the include path a downstream program gets
# (xgrad's include directory and fmt's, nothing of xtensor/xsimd/json). The headers are listed
# when the test runs, so new ones are checked without editing this file.
#
#   check_headers.sh SOURCE_INCLUDE_DIR BUILD_INCLUDE_DIR
# Exit 77 (skipped) without clang++-14.
set -euo pipefail

src_inc=$1 build_inc=$2
clang=${XGRAD_CLANG:-clang++-14}
command -v "$clang" > /dev/null || { echo "SKIP: $clang not installed"; exit 77; }

# fmt's flags as pkg-config gives them (empty for /usr/include).
fmt_flags=$(pkg-config --cflags fmt 2> /dev/null || true)

src_inc=$(cd "$src_inc" && pwd)
build_inc=$(cd "$build_inc" && pwd)
# The generated headers (version.hpp) are in the build tree.
mapfile -t headers < <( (cd "$src_inc" && find xgrad -name '*.hpp'; cd "$build_inc" && find xgrad -name '*.hpp') | sort -u)
(( ${#headers[@]} > 0 )) || { echo "FAIL: no headers under $src_inc/xgrad"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xgrad-headers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

check_one() {
  local h=$1 log
  log=$tmp/$(echo "$h" | tr / _).log
  # shellcheck disable=SC2086  # fmt_flags is a list of words
  if ! printf '#include <%s>\n' "$h" | "$clang" -std=c++20 -Wall -Wextra -Werror -fsyntax-only \
        -I"$src_inc" -I"$build_inc" $fmt_flags -x c++ - > "$log" 2>&1; then
    echo "FAIL: <$h> alone does not compile cleanly under $clang:"
    cat "$log"
    return 1
  fi
}
export -f check_one
export clang src_inc build_inc fmt_flags tmp

# Two at a time: the CI machine has two cores.
# shellcheck disable=SC2016  # $1 is expanded by the inner bash
if printf '%s\n' "${headers[@]}" | xargs -P "${XGRAD_CHECK_JOBS:-2}" -I{} bash -c 'check_one "$1"' _ {}; then
  echo "OK: ${#headers[@]} public headers each compile alone under $clang -std=c++20 -Wall -Wextra -Werror"
else
  exit 1
fi
