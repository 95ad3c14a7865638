#!/bin/sh
# npm run test:stress — the whole suite (`vitest run`) while a second copy of it runs at the same
# time on the same machine: every test must hold when the CPU is shared and another suite's
# brokers, databases and browsers run next to its own. Not part of CI (a 2-core machine takes
# about twice the suite's time).
#
# The two copies cannot collide: tests listen on port 0 or on a free port they are told (and
# start again on another if a neighbour took it first), keep their data in fresh folders under
# the system temp folder, and talk over loopback only. The second copy runs the files in a
# shuffled order (its seed is printed) so that different tests overlap from one run to the next.
#
# Usage: npm run test:stress [-- <vitest filters or options for both copies>]
#   STRESS_SEED=n   the second copy's file order (default: random)
#   STRESS_LOGS=dir where the two logs go (default: a fresh folder under the temp folder)
set -u
cd "$(dirname "$0")/.."

logs=${STRESS_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/metronet-stress-XXXXXX")}
mkdir -p "$logs"
seed=${STRESS_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}

run_copy() { # name, extra vitest options…
  name=$1
  shift
  t0=$(date +%s)
  npx vitest run --reporter=default "$@" >"$logs/$name.log" 2>&1
  code=$?
  echo "$code $(($(date +%s) - t0))" >"$logs/$name.result"
}

echo "test:stress: two copies of the suite at once; logs in $logs (second copy: files shuffled, seed $seed)"
started=$(date +%s)
run_copy second --sequence.shuffle.files --sequence.seed="$seed" "$@" &
second=$!
run_copy first "$@" &
first=$!
wait "$first" "$second"

status=0
for name in first second; do
  read -r code secs <"$logs/$name.result"
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/$name.log" | grep -E '^ +(Test Files|Tests) ' | sed 's/^ *//' | tr '\n' ' ')
  if [ "$code" = 0 ]; then verdict=passed; else verdict="FAILED (exit $code)"; status=1; fi
  echo "$name copy: $verdict in ${secs} s — $summary"
  if [ "$code" != 0 ]; then
    sed 's/\x1b\[[0-9;]*m//g' "$logs/$name.log" | grep -E '^ *(FAIL|×) ' | sed 's/^/    /' | sort -u | head -40
  fi
done
echo "test:stress: $( [ $status = 0 ] && echo passed || echo FAILED ) in $(($(date +%s) - started)) s"
exit $status
