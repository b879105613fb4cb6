#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the suite as built for
# use (with the bench's smoke run), the GTK client driven on a virtual display
# (tests/gui), the browser client in headless Chromium (tests/web), the Ansible deployment against moto and a systemd container, the
# suite again under ThreadSanitizer and under AddressSanitizer+UBSan, then each
# libFuzzer target for a bounded time (FUZZ_SECONDS, default 60).
# Usage: tools/test.sh [plain|gui|web|deploy|tsan|asan|fuzz ...]   (default: all of them)
#
# Every stage asked for runs, whatever happened to those before it; a stage that
# does not build has failed. At the end the failed stages are listed, the last
# line is "tests: N passed, M failed" (CI reads it), and the exit status is not 0
# if any stage failed.
#
# charla-gtk is built in every stage that builds everything (so it compiles with
# -Werror and under the sanitizers), but run only by the gui stage, from the plain
# build: GTK and GLib are not instrumented, so a sanitized window would report
# their code, not ours; the core it draws is in the suite the sanitizers run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh test || { echo "== tools/deps.sh failed: nothing was built" >&2; echo "tests: 0 passed, 1 failed"; exit 1; }

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
for stage in "${stages[@]}"; do  # a typo is said before anything runs
  case $stage in
    plain | gui | web | deploy | tsan | asan | fuzz) ;;
    *) echo "tools/test.sh: etapa desconocida '$stage' (plain, gui, web, deploy, tsan, asan, fuzz)" >&2; exit 2 ;;
  esac
done

# A stage runs as the condition of an `if`, where bash ignores set -e: each step of
# a stage that can fail ends it with `|| return`, after putting in `why` what failed.
why=""
failures=()        # "stage: why", one per failed stage, in the order they ran
plain_state=""     # "built" or "failed" once the plain stage has built in this run
suite_built=0      # whether the last run_suite got as far as its tests

run_suite() {  # name, build dir, cmake args...
  local name=$1 dir=$2
  shift 2
  suite_built=0
  echo "== $name: build" >&2
  cmake -S . -B "$dir" -DCHARLA_BUILD_TESTS=ON -DCHARLA_WERROR=ON "$@" >/dev/null || { why="cmake failed"; return 1; }
  cmake --build "$dir" -j"$jobs" || { why="the build failed"; return 1; }
  suite_built=1
  echo "== $name: test" >&2
  local log rc=0
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" 2>&1 | tee "$log" || rc=$?
  count "$log"
  # ctest names what failed after "The following tests FAILED:" ("  12 - a test's name (Failed)").
  why=$(sed -n '/The following tests FAILED:/,$p' "$log" |
    sed -nE 's/^[[:space:]]+[0-9]+ - (.*) \([^)]*\)[[:space:]]*$/\1/p' | paste -sd ';' | sed 's/;/; /g')
  why=${why:+failed: $why}
  [ -n "$why" ] || why="ctest failed (exit status $rc)"
  rm -f "$log"
  return "$rc"
}

plain_build() {
  local rc=0
  run_suite plain build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLA_SANITIZE= -DCHARLA_BUILD_BENCH=ON || rc=$?
  if [ "$suite_built" = 1 ]; then plain_state=built; else plain_state=failed; fi
  return "$rc"
}

# gui, web and deploy run the binaries of the plain build. After a plain build that
# failed in this run, whatever binaries are left in build/ are stale: not run.
uses_plain_build() {
  [ "$plain_state" != failed ] || { why="needs the plain build, which failed"; return 1; }
}

run_script() {  # heading, command...: a test script whose last line is "N passed, M failed"
  echo "== $1" >&2
  shift
  local log rc=0
  log=$(mktemp)
  "$@" 2>&1 | tee "$log" || rc=$?
  count "$log"
  # The gui test says "FAIL - what"; the others end with their counts.
  why=$(sed -nE 's/^.*FAIL - (.*)$/\1/p' "$log" | paste -sd ';' | sed 's/;/; /g')
  why=${why:+failed: $why}
  [ -n "$why" ] || why="failed (exit status $rc)"
  rm -f "$log"
  return "$rc"
}

run_fuzz() {  # each target from the seed corpus, on a scratch copy; any crash, leak or report fails
  local dir=build-fuzz seconds=${FUZZ_SECONDS:-60}
  echo "== fuzz: build (clang, ASan+UBSan)" >&2
  CXX=clang++ cmake -S . -B "$dir" -DCHARLA_FUZZ=ON -DCHARLA_BUILD_TESTS=OFF -DCHARLA_WERROR=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCHARLA_SANITIZE=address;undefined;fuzzer-no-link" >/dev/null ||
    { why="cmake failed"; return 1; }
  cmake --build "$dir" -j"$jobs" --target fuzz_decode fuzz_broker || { why="the build failed"; return 1; }
  for target in decode broker; do
    local work
    work=$(mktemp -d)
    echo "== fuzz: $target for ${seconds}s" >&2
    UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" \
      "$dir/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/" "$work" "fuzz/corpus/$target" 2>"$work/log" ||
      { tail -n 60 "$work/log" >&2; echo "fuzz: $target failed; the input is in $work" >&2
        why="fuzz_$target found a failing input (in $work)"; return 1; }
    grep -E '^stat::number_of_executed_units' "$work/log" >&2 || true
    rm -rf "$work"
  done
}

stage() {  # one stage; false if it failed
  case $1 in
    plain) plain_build ;;
    tsan)
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 suppressions=$PWD/tools/tsan.supp" \
        run_suite tsan build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLA_SANITIZE=thread ;;
    asan)
      ASAN_OPTIONS="detect_leaks=1 abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" \
        run_suite asan build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCHARLA_SANITIZE=address;undefined" ;;
    gui)
      uses_plain_build &&
        run_script "gui: two charla-gtk windows and a console client, driven through AT-SPI under Xvfb" \
          tests/gui/run.sh build ;;
    web)
      uses_plain_build &&
        run_script "web: two headless Chromium tabs and a console client through charla-web, and hostile input" \
          tests/web/run.sh build ;;
    deploy)
      uses_plain_build &&
        run_script "deploy: the Debian packages, and ansible (moto + systemd containers)" tests/deploy/run.sh build ;;
    fuzz) run_fuzz ;;
  esac
}

run_stage() {  # runs a stage and remembers it if it failed; a failure that failed no test counts as one
  local before=$failed
  why=""
  if ! stage "$1"; then
    [ "$failed" -gt "$before" ] || failed=$((failed + 1))
    failures+=("$1: ${why:-failed}")
    echo "== $1: FAILED (${why:-failed}); going on with the other stages" >&2
  fi
}

for s in "${stages[@]}"; do
  # gui, web and deploy without the plain build's binaries: the plain stage builds them first.
  case $s in
    gui) binary=build/gtk/charla-gtk ;;
    web) binary=build/web/charla-web ;;
    deploy) binary=build/client/charla ;;
    *) binary="" ;;
  esac
  if [ -n "$binary" ] && [ -z "$plain_state" ] && [ ! -x "$binary" ]; then run_stage plain; fi
  run_stage "$s"
done

if [ ${#failures[@]} -eq 0 ]; then
  echo "== all stages passed: ${stages[*]}" >&2
else
  echo "== failed:" >&2
  printf '==   %s\n' "${failures[@]}" >&2
fi
echo "tests: $passed passed, $failed failed"
[ ${#failures[@]} -eq 0 ]
