#!/usr/bin/env bash
# bench/scripts-ab.sh BEFORE AFTER [ROW...]: two Redoubt builds and
# redis-server in turn on the scripts phase's workloads, in one run, so
# that a change to the script path is measured in the same conditions.
#
#   git archive <commit> | tar -x -C /tmp/before && (cd /tmp/before && go build -o /tmp/redoubt-before ./cmd/redoubt-server)
#   go build -o /tmp/redoubt-after ./cmd/redoubt-server
#   bash bench/scripts-ab.sh /tmp/redoubt-before /tmp/redoubt-after gs:1 gs:16 rl:1 get:1
#
# Rows are NAME:PIPELINE with NAME gs (EVALSHA of bench/run.sh's GET+SET
# script), rl (bench/ratelimit.lua) or get (a plain GET, the network
# path alone); -c 50 -r 10000 as bench/run.sh. Each row runs REPEATS
# times per server (N requests each), the three servers in turn, and
# prints the median ops/s with its ratio to Redis, and each server's CPU
# time per request (utime+stime from /proc over its runs), which the
# client's own limits do not blur.
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=$1; AFTER=$2; shift 2
ROWS=("${@:-gs:1 gs:16 rl:1}")
N=${N:-200000}; REPEATS=${REPEATS:-5}
work=$(mktemp -d)
trap 'kill $RP $BP $AP 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT=$(free_port); BPORT=$(free_port); APORT=$(free_port)
(cd "$work" && exec redis-server --port "$RPORT" --save '' >r.log 2>&1) & RP=$!
(cd "$work" && exec "$BEFORE" --port "$BPORT" --save '' >b.log 2>&1) & BP=$!
(cd "$work" && exec "$AFTER" --port "$APORT" --save '' >a.log 2>&1) & AP=$!
for p in $RPORT $BPORT $APORT; do
    for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
getset="local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], ARGV[1]) return v"
for p in $RPORT $BPORT $APORT; do
    gs=$(redis-cli -p "$p" script load "$getset")
    rl=$(redis-cli -p "$p" -x script load <bench/ratelimit.lua)
done
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
run() { redis-benchmark -p "$1" -n "$N" -c 50 -P "$2" -r 10000 -q "${@:3}" 2>/dev/null | tr '\r' '\n' | awk '/requests per second/{print $(NF-5)}'; }
hz=$(getconf CLK_TCK)
echo "| row | -P | Redis ops/s | before ops/s | ratio | after ops/s | ratio | CPU µs/request Redis / before / after |"
echo "|---|---|---|---|---|---|---|---|"
for row in ${ROWS[@]}; do
    name=${row%%:*}; P=${row##*:}
    case $name in
        rl) cmd=(evalsha "$rl" 1 rl:__rand_int__ 10 100 60 1) ;;
        get) cmd=(get key:__rand_int__) ;;
        *) cmd=(evalsha "$gs" 1 key:__rand_int__ value) ;;
    esac
    r=(); b=(); a=(); rc=0; bc=0; ac=0
    for _ in $(seq "$REPEATS"); do
        c=$(cpu $RP); r+=("$(run "$RPORT" "$P" "${cmd[@]}")"); rc=$((rc + $(cpu $RP) - c))
        c=$(cpu $BP); b+=("$(run "$BPORT" "$P" "${cmd[@]}")"); bc=$((bc + $(cpu $BP) - c))
        c=$(cpu $AP); a+=("$(run "$APORT" "$P" "${cmd[@]}")"); ac=$((ac + $(cpu $AP) - c))
    done
    rm=$(median "${r[@]}"); bm=$(median "${b[@]}"); am=$(median "${a[@]}")
    us() { echo "scale=2; $1 * 1000000 / $hz / ($N * $REPEATS)" | bc; }
    printf '| %s | %s | %s | %s | **%.2f** | %s | **%.2f** | %s / %s / %s |\n' "$name" "$P" "$rm" "$bm" \
        "$(echo "$bm / $rm" | bc -l)" "$am" "$(echo "$am / $rm" | bc -l)" "$(us $rc)" "$(us $bc)" "$(us $ac)"
done
