#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the suite as built for
# use (with the bench's smoke run), the GTK client driven on a virtual display
# (tests/gui), the browser client in headless Chromium (tests/web), the Ansible deployment against moto and a systemd container, the
# suite again under ThreadSanitizer and under AddressSanitizer+UBSan, then each
# libFuzzer target for a bounded time (FUZZ_SECONDS, default 60).
# Usage: tools/test.sh [plain|gui|web|deploy|tsan|asan|fuzz ...]   (default: all of them)
#
# charla-gtk is built in every stage that builds everything (so it compiles with
# -Werror and under the sanitizers), but run only by the gui stage, from the plain
# build: GTK and GLib are not instrumented, so a sanitized window would report
# their code, not ours; the core it draws is in the suite the sanitizers run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh test

jobs=$(nproc)
passed=0 failed=0
count() {  # adds the counts of a test log ("… out of N" from ctest, "N passed, M failed" from the deploy, gui and web tests)
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1 || true)
  if [ -n "$line" ]; then
    local total fail
    fail=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + total - fail)) failed=$((failed + fail))
    return
  fi
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 || true)
  [ -n "$line" ] && passed=$((passed + $(cut -d' ' -f1 <<<"$line"))) failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
  return 0
}
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(plain gui web deploy tsan asan fuzz)

run_suite() {  # name, build dir, cmake args...
  local name=$1 dir=$2
  shift 2
  echo "== $name: build" >&2
  cmake -S . -B "$dir" -DCHARLA_BUILD_TESTS=ON -DCHARLA_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== $name: test" >&2
  local log
  log=$(mktemp)
  local rc=0
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" 2>&1 | tee "$log" || rc=$?
  count "$log"
  rm -f "$log"
  return "$rc"
}

plain_build() { run_suite plain build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLA_SANITIZE= -DCHARLA_BUILD_BENCH=ON; }

run_script() {  # heading, command...: a test script whose last line is "N passed, M failed"; a failure ends the run
  echo "== $1" >&2
  shift
  local log rc=0
  log=$(mktemp)
  "$@" 2>&1 | tee "$log" || rc=$?
  count "$log"
  rm -f "$log"
  [ "$rc" -eq 0 ] || { echo "tests: $passed passed, $((failed > 0 ? failed : 1)) failed" >&2; exit "$rc"; }
}

run_fuzz() {  # each target from the seed corpus, on a scratch copy; any crash, leak or report fails
  local dir=build-fuzz seconds=${FUZZ_SECONDS:-60}
  echo "== fuzz: build (clang, ASan+UBSan)" >&2
  CXX=clang++ cmake -S . -B "$dir" -DCHARLA_FUZZ=ON -DCHARLA_BUILD_TESTS=OFF -DCHARLA_WERROR=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCHARLA_SANITIZE=address;undefined;fuzzer-no-link" >/dev/null
  cmake --build "$dir" -j"$jobs" --target fuzz_decode fuzz_broker
  for target in decode broker; do
    local work
    work=$(mktemp -d)
    echo "== fuzz: $target for ${seconds}s" >&2
    UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" \
      "$dir/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/" "$work" "fuzz/corpus/$target" 2>"$work/log" ||
      { tail -n 60 "$work/log" >&2; echo "fuzz: $target failed; the input is in $work" >&2; return 1; }
    grep -E '^stat::number_of_executed_units' "$work/log" >&2 || true
    rm -rf "$work"
  done
}

for stage in "${stages[@]}"; do
  case $stage in
    plain) plain_build ;;
    tsan)
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 suppressions=$PWD/tools/tsan.supp" \
        run_suite tsan build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLA_SANITIZE=thread ;;
    asan)
      ASAN_OPTIONS="detect_leaks=1 abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" \
        run_suite asan build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCHARLA_SANITIZE=address;undefined" ;;
    gui)
      [ -x build/gtk/charla-gtk ] || plain_build  # its binaries, charla-gtk among them
      run_script "gui: two charla-gtk windows and a console client, driven through AT-SPI under Xvfb" \
        tests/gui/run.sh build ;;
    web)
      [ -x build/web/charla-web ] || plain_build  # its binaries, charla-web among them
      run_script "web: two headless Chromium tabs and a console client through charla-web, and hostile input" \
        tests/web/run.sh build ;;
    deploy)
      [ -x build/client/charla ] || plain_build  # its clients
      run_script "deploy: the Debian packages, and ansible (moto + systemd containers)" tests/deploy/run.sh build ;;
    fuzz) run_fuzz ;;
    *) echo "tools/test.sh: etapa desconocida '$stage' (plain, gui, web, deploy, tsan, asan, fuzz)" >&2; exit 2 ;;
  esac
done
echo "== all stages passed: ${stages[*]}" >&2
echo "tests: $passed passed, $failed failed"
