#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the suite as built for
# use, then again under ThreadSanitizer and under AddressSanitizer+UBSan.
# Usage: tools/test.sh [plain|tsan|asan ...]   (default: all of them)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh test

jobs=$(nproc)
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(plain tsan asan)

run_suite() {  # name, build dir, cmake args...
  local name=$1 dir=$2
  shift 2
  echo "== $name: build" >&2
  cmake -S . -B "$dir" -DCHARLA_BUILD_TESTS=ON -DCHARLA_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== $name: test" >&2
  ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

for stage in "${stages[@]}"; do
  case $stage in
    plain) run_suite plain build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLA_SANITIZE= ;;
    tsan)
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tools/tsan.supp" \
        run_suite tsan build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLA_SANITIZE=thread ;;
    asan)
      ASAN_OPTIONS="detect_leaks=1 abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" \
        run_suite asan build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCHARLA_SANITIZE=address;undefined" ;;
    *) echo "tools/test.sh: etapa desconocida '$stage' (plain, tsan, asan)" >&2; exit 2 ;;
  esac
done
echo "== all stages passed: ${stages[*]}" >&2
