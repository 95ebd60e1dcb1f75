#!/usr/bin/env bash
# bench/run.sh: the same workload against Redoubt and the real redis-server,
# in one run on one machine, reported as ratios (Redoubt / Redis).
#
#   bash bench/run.sh            # full run, ~65 min
#   N=200000 REPEATS=1 COLLECTIONS=100000 bash bench/run.sh   # quick look
#
# Throughput: redis-benchmark -t <test> -n $N -c 50 with -P 1 and -P 16 for
# the string commands and the collection commands. Each (test, pipeline)
# pair runs REPEATS times, alternating servers, and the median is kept:
# the machine is shared and noisy, so single runs mean little.
# Memory: resident set size after redis-benchmark -t set -r 1000000
# -n 2000000 -d 16 on an empty server, then after loading COLLECTIONS
# lists, hashes, sets and sorted sets of 10 short elements each (one type
# per fresh pair of servers, loaded with redis-cli --pipe).
# Populate: resident set size with POPULATE_KEYS (10,000,000) keys of
# 16-byte values, made by DEBUG POPULATE on both servers (Redis sizes its
# table for them first, and so does Redoubt).
# Snapshots: with the same ~1M keys, SAVE's time, BGSAVE's time idle and
# under a SET load (with the p99 of that load), the memory the snapshot
# held beyond the dataset (rdb_last_cow_size: copy-on-write pages for
# Redis's fork, records waiting to be written here) and the file's size.
# AOF: SET throughput at -P 1 and -P 16 with appendonly yes, for
# appendfsync everysec and always; then with ~1M keys, BGREWRITEAOF's time
# idle and under a SET load (with the memory held beyond the dataset:
# Redis's fork copy-on-write, the records waiting to be written here), and
# the time to load that AOF at start-up.
# Scripts: EVALSHA of a script doing one GET and one SET at -P 1 and
# -P 16, and the GCRA rate limiter of bench/ratelimit.lua on 10,000 keys,
# both with -c 50.
# Replication: SET throughput at -P 16 with 0, 1 and 2 replicas of the
# same server attached; a full sync of REPL_KEYS keys under a SET load
# (its time, and the memory it cost the primary: Redis's fork reports
# copy-on-write, Redoubt's peak resident growth is sampled), and the
# replication lag in bytes (primary's offset minus the replica's last
# ACK, sampled every 100 ms) under that load.
# Eviction: SET -P 16 with allkeys-lru, maxmemory EVICT_MEM and a key
# space twice what fits (measured on each server: keys it holds at the
# limit), after a warm-up that fills it.
# Poller: SET and GET at -P 1 and -P 16 on a second Redoubt started with
# io-poller portable (Go's own network poller, the path of platforms
# without epoll) beside the default epoll one and Redis.
# Scrape: SET -P 16 with 50 clients on Redoubt with metrics-port on,
# alternating runs without scrapes and with a scrape of /metrics every
# SCRAPE_EVERY seconds (Prometheus's default interval is 15 s; 1 s is
# harsher), 2 x REPEATS runs each; and a scrape's own time under that load.
# TLS: SET and GET at -P 1 and -P 16 over TLS (redis-benchmark --tls,
# certificates made with openssl), both servers with tls-port only.
# ACL: SET and GET at -P 16 on Redoubt as the default user and as a user
# with 20 key patterns (the keys match the last one), as a ratio to
# itself, beside the same on Redis.
# Stalls: another client's PINGs (redis-benchmark -c 1) while a
# 1,000,000-field hash is UNLINKed (and, for contrast, DELed), and while
# KEYS * runs over 1,000,000 keys: their p99 and their longest wait, the
# median of REPEATS runs.
# PHASES picks among throughput, memory, populate, collections, snapshot, aof,
# scripts, replication, eviction, poller, scrape, tls, acl, stalls
# (default: all). Results go to stdout and to bench/out/<timestamp>.md.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
REPEATS=${REPEATS:-5}
TESTS=${TESTS:-set,get,incr,mset,lpush,lpop,sadd,hset,zadd,lrange_100,spop}
PIPELINES=${PIPELINES:-"1 16"}
MEM_KEYS=${MEM_KEYS:-1000000}
MEM_REQUESTS=${MEM_REQUESTS:-2000000}
COLLECTIONS=${COLLECTIONS:-1000000}
POPULATE_KEYS=${POPULATE_KEYS:-10000000}
REPL_KEYS=${REPL_KEYS:-1000000}
EVICT_MEM=${EVICT_MEM:-64mb}
PHASES=${PHASES:-"throughput memory populate collections snapshot aof scripts replication eviction poller scrape tls acl stalls"}
SCRAPE_EVERY=${SCRAPE_EVERY:-1}
phase() { [[ " $PHASES " == *" $1 "* ]]; }

for bin in redis-server redis-benchmark redis-cli; do
    command -v "$bin" >/dev/null || { echo "missing $bin (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

out=bench/out
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/redoubt-server" ./cmd/redoubt-server

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }

# start_servers [extra options...]: both servers, each in its own
# directory under $work (r/ and d/).
start_servers() {
    RPORT=$(free_port); DPORT=$(free_port)
    mkdir -p "$work/r" "$work/d"
    redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/r" "$@" >"$work/redis.log" 2>&1 &
    RPID=$!
    "$work/redoubt-server" --port "$DPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/d" "$@" >"$work/redoubt.log" 2>&1 &
    DPID=$!
    wait_up "$RPORT"; wait_up "$DPORT"
}
# start_one KIND DIR [options...]: one server, redis-server (r) or
# Redoubt (d), in DIR with its log in DIR/log -> sets ONE_PORT and ONE_PID.
start_one() {
    local kind=$1 dir=$2; shift 2
    local bin=redis-server
    [ "$kind" = d ] && bin="$work/redoubt-server"
    ONE_PORT=$(free_port)
    mkdir -p "$dir"
    "$bin" --port "$ONE_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" "$@" >"$dir/log" 2>&1 &
    ONE_PID=$!
    wait_up "$ONE_PORT"
}
stop_servers() { kill "$RPID" "$DPID" 2>/dev/null; wait "$RPID" "$DPID" 2>/dev/null || true; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# bench_one PORT TEST P -> "rps p99_ms"
bench_one() {
    redis-benchmark -p "$1" -t "$2" -n "$N" -c 50 -P "$3" --csv 2>/dev/null |
        awk -F'","' 'NR==2 {gsub(/"/,"",$2); gsub(/"/,"",$7); print $2, $7}'
}

# bench_cmd PORT P COMMAND... -> "rps p99_ms" for an arbitrary command
bench_cmd() {
    local port=$1 p=$2; shift 2
    redis-benchmark -p "$port" -n "$N" -c 50 -P "$p" -r 10000 --csv "$@" 2>/dev/null |
        awk -F'","' 'NR==2 {gsub(/"/,"",$2); gsub(/"/,"",$7); print $2, $7}'
}

report=$out/$(date +%Y%m%d-%H%M%S).md
{
    echo "# Redoubt vs redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, N=$N, $REPEATS runs per cell (median), -c 50"
} | tee "$report"

if phase throughput; then
{
    echo
    echo "| test | -P | Redis ops/s | Redoubt ops/s | ratio | Redis p99 ms | Redoubt p99 ms |"
    echo "|---|---|---|---|---|---|---|"
} | tee -a "$report"
start_servers
for P in $PIPELINES; do
    for t in ${TESTS//,/ }; do
        : >"$work/r.txt"; : >"$work/d.txt"
        for _ in $(seq "$REPEATS"); do
            bench_one "$RPORT" "$t" "$P" >>"$work/r.txt"
            bench_one "$DPORT" "$t" "$P" >>"$work/d.txt"
        done
        r_rps=$(awk '{print $1}' "$work/r.txt" | median); d_rps=$(awk '{print $1}' "$work/d.txt" | median)
        r_p99=$(awk '{print $2}' "$work/r.txt" | median); d_p99=$(awk '{print $2}' "$work/d.txt" | median)
        ratio=$(awk -v a="$d_rps" -v b="$r_rps" 'BEGIN {printf "%.2f", a/b}')
        echo "| $t | $P | $r_rps | $d_rps | **$ratio** | $r_p99 | $d_p99 |" | tee -a "$report"
    done
done
stop_servers
fi

rss() { awk '/VmRSS/ {print $2*1024}' "/proc/$1/status"; }
keys() { redis-cli -p "$1" dbsize; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a/b : 0}'; }
pinfo() { redis-cli -p "$1" info persistence | tr -d '\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }
tnow() { date +%s.%N; }

# Memory after loading ~1M keys of 16 bytes; the snapshot phase reuses them.
if phase memory || phase snapshot; then
start_servers
for port in "$RPORT" "$DPORT"; do
    redis-benchmark -p "$port" -t set -r "$MEM_KEYS" -n "$MEM_REQUESTS" -d 16 -q >/dev/null 2>&1
done
sleep 1
r_rss=$(rss "$RPID"); d_rss=$(rss "$DPID")
r_keys=$(keys "$RPORT"); d_keys=$(keys "$DPORT")
if phase memory; then
{
    echo
    echo "| memory | Redis | Redoubt | ratio |"
    echo "|---|---|---|---|"
    echo "| keys loaded | $r_keys | $d_keys | |"
    echo "| resident set (MiB) | $((r_rss>>20)) | $((d_rss>>20)) | **$(ratio "$d_rss" "$r_rss")** |"
    echo "| bytes per key | $((r_rss/r_keys)) | $((d_rss/d_keys)) | |"
} | tee -a "$report"
fi
if phase snapshot; then
    info() { redis-cli -p "$1" info persistence | tr -d '\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }
    now() { date +%s.%N; }
    # bgsave PORT -> seconds until it is done
    bgsave() {
        local t0; t0=$(now)
        redis-cli -p "$1" bgsave >/dev/null
        while [ "$(info "$1" rdb_bgsave_in_progress)" != 0 ]; do sleep 0.02; done
        awk -v a="$(now)" -v b="$t0" 'BEGIN {printf "%.2f", a-b}'
    }
    declare -A snap
    for side in r d; do
        port=$RPORT; [ $side = d ] && port=$DPORT
        t0=$(now); redis-cli -p "$port" save >/dev/null
        snap[$side.save]=$(awk -v a="$(now)" -v b="$t0" 'BEGIN {printf "%.2f", a-b}')
        snap[$side.idle]=$(bgsave "$port")
        # BGSAVE while 50 clients SET keys of the dataset.
        redis-benchmark -p "$port" -t set -r "$MEM_KEYS" -n "$MEM_REQUESTS" -d 16 -c 50 --csv >"$work/load.csv" 2>/dev/null &
        load=$!
        sleep 0.5
        snap[$side.busy]=$(bgsave "$port")
        snap[$side.cow]=$(info "$port" rdb_last_cow_size)
        wait $load
        snap[$side.p99]=$(awk -F'","' 'NR==2 {gsub(/"/,"",$7); print $7}' "$work/load.csv")
        snap[$side.file]=$(stat -c %s "$work/$side/dump.rdb")
        rm -f "$work/$side/dump.rdb"
    done
    {
        echo
        echo "| snapshot of $r_keys keys | Redis | Redoubt | ratio |"
        echo "|---|---|---|---|"
        echo "| SAVE (s) | ${snap[r.save]} | ${snap[d.save]} | **$(ratio "${snap[d.save]}" "${snap[r.save]}")** |"
        echo "| BGSAVE, idle (s) | ${snap[r.idle]} | ${snap[d.idle]} | **$(ratio "${snap[d.idle]}" "${snap[r.idle]}")** |"
        echo "| BGSAVE under SET load (s) | ${snap[r.busy]} | ${snap[d.busy]} | **$(ratio "${snap[d.busy]}" "${snap[r.busy]}")** |"
        echo "| SET p99 during it (ms) | ${snap[r.p99]} | ${snap[d.p99]} | |"
        echo "| memory beyond the dataset (MiB) | $(awk -v b="${snap[r.cow]}" 'BEGIN {printf "%.1f", b/1048576}') | $(awk -v b="${snap[d.cow]}" 'BEGIN {printf "%.1f", b/1048576}') | |"
        echo "| file (MiB) | $((snap[r.file]>>20)) | $((snap[d.file]>>20)) | |"
    } | tee -a "$report"
fi

stop_servers
fi

# Memory for POPULATE_KEYS keys of 16-byte values (DEBUG POPULATE).
if phase populate; then
start_servers --enable-debug-command yes
for port in "$RPORT" "$DPORT"; do
    redis-cli -p "$port" debug populate "$POPULATE_KEYS" key:00000 16 >/dev/null
done
sleep 2
r_rss=$(rss "$RPID"); d_rss=$(rss "$DPID")
r_keys=$(keys "$RPORT"); d_keys=$(keys "$DPORT")
{
    echo
    echo "| $POPULATE_KEYS keys, 16-byte values (DEBUG POPULATE) | Redis | Redoubt | ratio |"
    echo "|---|---|---|---|"
    echo "| keys | $r_keys | $d_keys | |"
    echo "| resident set (MiB) | $((r_rss>>20)) | $((d_rss>>20)) | **$(ratio "$d_rss" "$r_rss")** |"
    echo "| bytes per key | $((r_rss/r_keys)) | $((d_rss/d_keys)) | |"
} | tee -a "$report"
stop_servers
fi

# Memory of many small collections: COLLECTIONS keys of 10 elements each.
collection_cmds() {
    awk -v n="$COLLECTIONS" -v type="$1" 'BEGIN {
        for (i = 0; i < n; i++) {
            if (type == "list") line = "RPUSH list:" i
            else if (type == "hash") line = "HSET hash:" i
            else if (type == "set") line = "SADD set:" i
            else line = "ZADD zset:" i
            for (j = 0; j < 10; j++) {
                if (type == "hash") line = line " field:" j " value:" j
                else if (type == "zset") line = line " " j " member:" j
                else line = line " member:" j
            }
            print line "\r"
        }
    }'
}
if phase collections; then
{
    echo
    echo "| $COLLECTIONS collections of 10 | Redis RSS (MiB) | Redoubt RSS (MiB) | ratio | Redis encoding | Redoubt encoding |"
    echo "|---|---|---|---|---|---|"
} | tee -a "$report"
for type in list hash set zset; do
    collection_cmds "$type" >"$work/$type.txt"
    start_servers
    for port in "$RPORT" "$DPORT"; do
        (redis-cli -p "$port" --pipe <"$work/$type.txt" 2>&1 || true) | tail -1 >&2
    done
    sleep 1
    r_rss=$(rss "$RPID"); d_rss=$(rss "$DPID")
    r_enc=$(redis-cli -p "$RPORT" object encoding "$type:0"); d_enc=$(redis-cli -p "$DPORT" object encoding "$type:0")
    stop_servers
    rm -f "$work/$type.txt"
    echo "| $type | $((r_rss>>20)) | $((d_rss>>20)) | **$(ratio "$d_rss" "$r_rss")** | $r_enc | $d_enc |" | tee -a "$report"
done
fi
if phase aof; then
{
    echo
    echo "| AOF: set | appendfsync | -P | Redis ops/s | Redoubt ops/s | ratio | Redis p99 ms | Redoubt p99 ms |"
    echo "|---|---|---|---|---|---|---|---|"
} | tee -a "$report"
for fsync in everysec always; do
    rm -rf "$work/r" "$work/d"
    start_servers --appendonly yes --appendfsync "$fsync"
    for P in $PIPELINES; do
        : >"$work/r.txt"; : >"$work/d.txt"
        for _ in $(seq "$REPEATS"); do
            bench_one "$RPORT" set "$P" >>"$work/r.txt"
            bench_one "$DPORT" set "$P" >>"$work/d.txt"
        done
        r_rps=$(awk '{print $1}' "$work/r.txt" | median); d_rps=$(awk '{print $1}' "$work/d.txt" | median)
        r_p99=$(awk '{print $2}' "$work/r.txt" | median); d_p99=$(awk '{print $2}' "$work/d.txt" | median)
        echo "| set | $fsync | $P | $r_rps | $d_rps | **$(ratio "$d_rps" "$r_rps")** | $r_p99 | $d_p99 |" | tee -a "$report"
    done
    stop_servers
done
# BGREWRITEAOF of ~1M keys, then the load of the AOF it wrote.
rm -rf "$work/r" "$work/d"
start_servers --appendonly yes
for port in "$RPORT" "$DPORT"; do
    redis-benchmark -p "$port" -t set -r "$MEM_KEYS" -n "$MEM_REQUESTS" -d 16 -q >/dev/null 2>&1
done
r_keys=$(keys "$RPORT")
# rewrite PORT -> seconds until the rewrite is done
rewrite() {
    local t0; t0=$(tnow)
    redis-cli -p "$1" bgrewriteaof >/dev/null
    while [ "$(pinfo "$1" aof_rewrite_in_progress)" != 0 ] || [ "$(pinfo "$1" aof_rewrite_scheduled)" != 0 ]; do sleep 0.02; done
    awk -v a="$(tnow)" -v b="$t0" 'BEGIN {printf "%.2f", a-b}'
}
declare -A rw
for side in r d; do
    port=$RPORT; [ $side = d ] && port=$DPORT
    rw[$side.idle]=$(rewrite "$port")
    redis-benchmark -p "$port" -t set -r "$MEM_KEYS" -n "$MEM_REQUESTS" -d 16 -c 50 --csv >"$work/load.csv" 2>/dev/null &
    load=$!
    sleep 0.5
    rw[$side.busy]=$(rewrite "$port")
    rw[$side.cow]=$(pinfo "$port" aof_last_cow_size)
    wait $load
    rw[$side.p99]=$(awk -F'","' 'NR==2 {gsub(/"/,"",$7); print $7}' "$work/load.csv")
done
stop_servers
# Load: each server restarts on its directory; the time is until INFO
# says loading:0.
loadtime() {
    local port=$1; shift
    local t0; t0=$(tnow)
    "$@" --port "$port" --bind 127.0.0.1 --save '' --appendonly yes >>"$work/load.log" 2>&1 &
    local pid=$!
    until [ "$(pinfo "$port" loading 2>/dev/null)" = 0 ]; do sleep 0.01; done
    awk -v a="$(tnow)" -v b="$t0" 'BEGIN {printf "%.2f", a-b}'
    kill "$pid"; wait "$pid" 2>/dev/null || true
}
rw[r.load]=$(loadtime "$(free_port)" redis-server --dir "$work/r")
rw[d.load]=$(loadtime "$(free_port)" "$work/redoubt-server" --dir "$work/d")
{
    echo
    echo "| AOF rewrite of $r_keys keys | Redis | Redoubt | ratio |"
    echo "|---|---|---|---|"
    echo "| BGREWRITEAOF, idle (s) | ${rw[r.idle]} | ${rw[d.idle]} | **$(ratio "${rw[d.idle]}" "${rw[r.idle]}")** |"
    echo "| BGREWRITEAOF under SET load (s) | ${rw[r.busy]} | ${rw[d.busy]} | **$(ratio "${rw[d.busy]}" "${rw[r.busy]}")** |"
    echo "| SET p99 during it (ms) | ${rw[r.p99]} | ${rw[d.p99]} | |"
    echo "| memory beyond the dataset (MiB) | $(awk -v b="${rw[r.cow]}" 'BEGIN {printf "%.1f", b/1048576}') | $(awk -v b="${rw[d.cow]}" 'BEGIN {printf "%.1f", b/1048576}') | |"
    echo "| load of the AOF at start-up (s) | ${rw[r.load]} | ${rw[d.load]} | **$(ratio "${rw[d.load]}" "${rw[r.load]}")** |"
} | tee -a "$report"
fi
if phase scripts; then
{
    echo
    echo "| script | -P | Redis ops/s | Redoubt ops/s | ratio | Redis p99 ms | Redoubt p99 ms |"
    echo "|---|---|---|---|---|---|---|"
} | tee -a "$report"
start_servers
getset="local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], ARGV[1]) return v"
for port in "$RPORT" "$DPORT"; do
    gs_sha=$(redis-cli -p "$port" script load "$getset")
    rl_sha=$(redis-cli -p "$port" -x script load <bench/ratelimit.lua)
done
for row in "get+set:1" "get+set:16" "ratelimit:1"; do
    name=${row%%:*}; P=${row##*:}
    if [ "$name" = ratelimit ]; then
        cmd=(evalsha "$rl_sha" 1 rl:__rand_int__ 10 100 60 1)
    else
        cmd=(evalsha "$gs_sha" 1 key:__rand_int__ value)
    fi
    : >"$work/r.txt"; : >"$work/d.txt"
    for _ in $(seq "$REPEATS"); do
        bench_cmd "$RPORT" "$P" "${cmd[@]}" >>"$work/r.txt"
        bench_cmd "$DPORT" "$P" "${cmd[@]}" >>"$work/d.txt"
    done
    r_rps=$(awk '{print $1}' "$work/r.txt" | median); d_rps=$(awk '{print $1}' "$work/d.txt" | median)
    r_p99=$(awk '{print $2}' "$work/r.txt" | median); d_p99=$(awk '{print $2}' "$work/d.txt" | median)
    echo "| evalsha $name | $P | $r_rps | $d_rps | **$(ratio "$d_rps" "$r_rps")** | $r_p99 | $d_p99 |" | tee -a "$report"
done
stop_servers
fi
if phase replication; then
repl_opts=(--repl-diskless-sync-delay 0 --enable-debug-command yes)
rinfo() { redis-cli -p "$1" info replication | tr -d '\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }
wait_link() {
    for _ in $(seq 6000); do [ "$(rinfo "$1" master_link_status)" = up ] && return; sleep 0.05; done
    echo "replica on $1 never synced" >&2; exit 1
}
{
    echo
    echo "| SET -P 16 with replicas | Redis ops/s | Redoubt ops/s | ratio |"
    echo "|---|---|---|---|"
} | tee -a "$report"
for nrep in 0 1 2; do
    declare -A rps=()
    for kind in r d; do
        start_one $kind "$work/p$kind" "${repl_opts[@]}"; pport=$ONE_PORT; pids=($ONE_PID)
        for i in $(seq "$nrep"); do
            start_one $kind "$work/s$kind$i" "${repl_opts[@]}" --replicaof 127.0.0.1 "$pport"; pids+=($ONE_PID)
            wait_link "$ONE_PORT"
        done
        : >"$work/x.txt"
        for _ in $(seq "$REPEATS"); do bench_one "$pport" set 16 >>"$work/x.txt"; done
        rps[$kind]=$(awk '{print $1}' "$work/x.txt" | median)
        kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
        rm -rf "$work/p$kind" "$work/s$kind"*
    done
    echo "| $nrep | ${rps[r]} | ${rps[d]} | **$(ratio "${rps[d]}" "${rps[r]}")** |" | tee -a "$report"
done
declare -A fs=()
for kind in r d; do
    start_one $kind "$work/p$kind" "${repl_opts[@]}"; pport=$ONE_PORT; ppid=$ONE_PID
    redis-cli -p "$pport" debug populate "$REPL_KEYS" key 16 >/dev/null
    redis-benchmark -p "$pport" -t set -n 100000000 -c 50 -P 16 -r 1000000 -d 16 >/dev/null 2>&1 &
    load=$!
    sleep 1
    before=$(rss "$ppid"); peak=$before
    t0=$(tnow)
    start_one $kind "$work/s$kind" "${repl_opts[@]}" --replicaof 127.0.0.1 "$pport"; rpid=$ONE_PID; rport=$ONE_PORT
    while [ "$(rinfo "$rport" master_link_status)" != up ]; do
        peak=$(( $(rss "$ppid") > peak ? $(rss "$ppid") : peak )); sleep 0.05
    done
    fs[$kind.time]=$(awk -v a="$t0" -v b="$(tnow)" 'BEGIN {printf "%.2f", b-a}')
    fs[$kind.rss]=$(( peak - before ))
    fs[$kind.cow]=$(pinfo "$pport" rdb_last_cow_size)
    : >"$work/lag.txt"
    for _ in $(seq 50); do
        off=$(rinfo "$pport" master_repl_offset)
        ack=$(redis-cli -p "$pport" info replication | tr -d '\r' | sed -n 's/^slave0:.*offset=\([0-9]*\).*/\1/p')
        echo $(( off - ack )) >>"$work/lag.txt"; sleep 0.1
    done
    fs[$kind.lag]=$(median <"$work/lag.txt"); fs[$kind.lagmax]=$(sort -g "$work/lag.txt" | tail -1)
    kill "$load" "$rpid" "$ppid"; wait "$load" "$rpid" "$ppid" 2>/dev/null || true
    rm -rf "$work/p$kind" "$work/s$kind"
done
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b/1048576}'; }
{
    echo
    echo "| full sync of $REPL_KEYS keys under SET -P 16 load | Redis | Redoubt | ratio |"
    echo "|---|---|---|---|"
    echo "| time to link up (s) | ${fs[r.time]} | ${fs[d.time]} | **$(ratio "${fs[d.time]}" "${fs[r.time]}")** |"
    echo "| primary's resident growth, peak (MiB) | $(mib "${fs[r.rss]}") | $(mib "${fs[d.rss]}") | |"
    echo "| copy-on-write reported (MiB) | $(mib "${fs[r.cow]}") | $(mib "${fs[d.cow]}") | |"
    echo "| replication lag after it, median / max (bytes) | ${fs[r.lag]} / ${fs[r.lagmax]} | ${fs[d.lag]} / ${fs[d.lagmax]} | |"
} | tee -a "$report"
fi
if phase eviction; then
{
    echo
    echo "| SET -P 16 under allkeys-lru, maxmemory $EVICT_MEM, key space 2x what fits | Redis ops/s | Redoubt ops/s | ratio | Redis evicted | Redoubt evicted |"
    echo "|---|---|---|---|---|---|"
} | tee -a "$report"
start_servers --maxmemory "$EVICT_MEM" --maxmemory-policy allkeys-lru
declare -A ev=()
for port in "$RPORT" "$DPORT"; do
    # Fill to the limit, and size the key space from what fits.
    redis-benchmark -p "$port" -t set -n 2000000 -c 50 -P 16 -r 2000000 -d 100 >/dev/null 2>&1
    fits=$(keys "$port")
    ev[$port.r]=$((fits * 2))
done
: >"$work/r.txt"; : >"$work/d.txt"
for _ in $(seq "$REPEATS"); do
    redis-benchmark -p "$RPORT" -t set -n "$N" -c 50 -P 16 -r "${ev[$RPORT.r]}" -d 100 --csv 2>/dev/null |
        awk -F'","' 'NR==2 {gsub(/"/,"",$2); print $2}' >>"$work/r.txt"
    redis-benchmark -p "$DPORT" -t set -n "$N" -c 50 -P 16 -r "${ev[$DPORT.r]}" -d 100 --csv 2>/dev/null |
        awk -F'","' 'NR==2 {gsub(/"/,"",$2); print $2}' >>"$work/d.txt"
done
r_rps=$(median <"$work/r.txt"); d_rps=$(median <"$work/d.txt")
r_ev=$(redis-cli -p "$RPORT" info stats | tr -d '\r' | awk -F: '$1 == "evicted_keys" {print $2}')
d_ev=$(redis-cli -p "$DPORT" info stats | tr -d '\r' | awk -F: '$1 == "evicted_keys" {print $2}')
echo "| set | $r_rps | $d_rps | **$(ratio "$d_rps" "$r_rps")** | $r_ev | $d_ev |" | tee -a "$report"
stop_servers
fi
if phase poller; then
{
    echo
    echo "| test | -P | Redis ops/s | Redoubt epoll ops/s | Redoubt portable ops/s | portable / epoll | portable / Redis |"
    echo "|---|---|---|---|---|---|---|"
} | tee -a "$report"
start_servers
start_one d "$work/p" --io-poller portable; PPORT=$ONE_PORT; PPID_=$ONE_PID
for P in 1 16; do
    for t in set get; do
        : >"$work/r.txt"; : >"$work/d.txt"; : >"$work/p.txt"
        for _ in $(seq "$REPEATS"); do
            bench_one "$RPORT" "$t" "$P" >>"$work/r.txt"
            bench_one "$DPORT" "$t" "$P" >>"$work/d.txt"
            bench_one "$PPORT" "$t" "$P" >>"$work/p.txt"
        done
        r_rps=$(awk '{print $1}' "$work/r.txt" | median); d_rps=$(awk '{print $1}' "$work/d.txt" | median)
        p_rps=$(awk '{print $1}' "$work/p.txt" | median)
        echo "| $t | $P | $r_rps | $d_rps | $p_rps | **$(ratio "$p_rps" "$d_rps")** | $(ratio "$p_rps" "$r_rps") |" | tee -a "$report"
    done
done
kill "$PPID_" 2>/dev/null; wait "$PPID_" 2>/dev/null || true
stop_servers
fi
if phase scrape; then
{
    echo
    echo "| SET -P 16, -c 50, Redoubt with metrics-port | ops/s, no scrapes | ops/s, scraping Redoubt every ${SCRAPE_EVERY}s | ops/s, scraping a static copy every ${SCRAPE_EVERY}s | scraping Redoubt / no scrapes | scraping Redoubt / scraping the copy | scrape time under load, median ms |"
    echo "|---|---|---|---|---|---|---|"
} | tee -a "$report"
MPORT=$(free_port); CPORT=$(free_port)
mkdir -p "$work/copy"
start_one d "$work/s" --metrics-port "$MPORT"; SPORT=$ONE_PORT; SPID=$ONE_PID
redis-benchmark -p "$SPORT" -t set,get,incr,lpush -n 100000 -q >/dev/null 2>&1 # series for every command
curl -s -o "$work/copy/metrics" "http://127.0.0.1:$MPORT/metrics"
# The control: the same scraper reading the same bytes from another
# server, so that what the scraping process costs the shared cores is
# not counted against Redoubt.
python3 -m http.server "$CPORT" --bind 127.0.0.1 --directory "$work/copy" >/dev/null 2>&1 &
CPID=$!
sleep 0.5
# scraper PORT: one process on one kept-alive connection, as Prometheus
# scrapes (a curl per scrape costs the cores more than a scrape costs
# the server), printing each scrape's time.
scraper() {
    python3 - "$1" "$SCRAPE_EVERY" <<'PY' &
import http.client, sys, time
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
while True:
    t = time.monotonic()
    conn.request("GET", "/metrics")
    conn.getresponse().read()
    print(time.monotonic() - t, flush=True)
    time.sleep(float(sys.argv[2]))
PY
    SCRAPER=$!
}
: >"$work/off.txt"; : >"$work/on.txt"; : >"$work/ctl.txt"; : >"$work/scrape.txt"
for _ in $(seq $((2 * REPEATS))); do
    bench_one "$SPORT" set 16 | awk '{print $1}' >>"$work/off.txt"
    scraper "$MPORT" >>"$work/scrape.txt"
    bench_one "$SPORT" set 16 | awk '{print $1}' >>"$work/on.txt"
    kill "$SCRAPER"; wait "$SCRAPER" 2>/dev/null || true
    scraper "$CPORT" >/dev/null
    bench_one "$SPORT" set 16 | awk '{print $1}' >>"$work/ctl.txt"
    kill "$SCRAPER"; wait "$SCRAPER" 2>/dev/null || true
done
off=$(median <"$work/off.txt"); on=$(median <"$work/on.txt"); ctl=$(median <"$work/ctl.txt")
scrape_ms=$(awk '{print $1 * 1000}' "$work/scrape.txt" | median)
echo "| set | $off | $on | $ctl | **$(ratio "$on" "$off")** | **$(ratio "$on" "$ctl")** | $scrape_ms |" | tee -a "$report"
# What a scrape costs the server in CPU, from the process's own
# accounting (utime + stime in /proc) over 500 scrapes of an idle
# server: the throughput ratios above are within the machine's noise,
# this figure is not.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
before=$(cpu_ticks "$SPID")
python3 - "$MPORT" <<'PY'
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(500):
    conn.request("GET", "/metrics")
    conn.getresponse().read()
PY
after=$(cpu_ticks "$SPID")
hz=$(getconf CLK_TCK)
per_scrape=$(awk -v t=$((after - before)) -v hz="$hz" 'BEGIN {printf "%.3f", t / hz * 1000 / 500}')
echo | tee -a "$report"
echo "CPU per scrape: $per_scrape ms, so a scrape every ${SCRAPE_EVERY}s takes $(awk -v ms="$per_scrape" -v every="$SCRAPE_EVERY" 'BEGIN {printf "%.3f", ms / (every * 1000) * 100}')% of one core." | tee -a "$report"
kill "$SPID" "$CPID" 2>/dev/null; wait "$SPID" "$CPID" 2>/dev/null || true
fi
if phase tls; then
{
    echo
    echo "| TLS: test | -P | Redis ops/s | Redoubt ops/s | ratio | Redis p99 ms | Redoubt p99 ms |"
    echo "|---|---|---|---|---|---|---|"
} | tee -a "$report"
certs="$work/certs"
mkdir -p "$certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ca -keyout "$certs/ca.key" -out "$certs/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$certs/server.key" -out "$certs/server.csr" 2>/dev/null
openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" -CAcreateserial -days 2 -out "$certs/server.crt" 2>/dev/null
tls_args=(--port 0 --tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key" --tls-ca-cert-file "$certs/ca.crt" --tls-auth-clients no)
RPORT=$(free_port); DPORT=$(free_port)
mkdir -p "$work/r" "$work/d"
redis-server --tls-port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/r" "${tls_args[@]}" >"$work/redis.log" 2>&1 &
RPID=$!
"$work/redoubt-server" --tls-port "$DPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/d" "${tls_args[@]}" >"$work/redoubt.log" 2>&1 &
DPID=$!
for port in "$RPORT" "$DPORT"; do
    for _ in $(seq 100); do redis-cli --tls --cacert "$certs/ca.crt" -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
bench_tls() {
    redis-benchmark --tls --cacert "$certs/ca.crt" -p "$1" -t "$2" -n "$N" -c 50 -P "$3" --csv 2>/dev/null |
        awk -F'","' 'NR==2 {gsub(/"/,"",$2); gsub(/"/,"",$7); print $2, $7}'
}
for P in 1 16; do
    for t in set get; do
        : >"$work/r.txt"; : >"$work/d.txt"
        for _ in $(seq "$REPEATS"); do
            bench_tls "$RPORT" "$t" "$P" >>"$work/r.txt"
            bench_tls "$DPORT" "$t" "$P" >>"$work/d.txt"
        done
        r_rps=$(awk '{print $1}' "$work/r.txt" | median); d_rps=$(awk '{print $1}' "$work/d.txt" | median)
        r_p99=$(awk '{print $2}' "$work/r.txt" | median); d_p99=$(awk '{print $2}' "$work/d.txt" | median)
        echo "| $t | $P | $r_rps | $d_rps | **$(ratio "$d_rps" "$r_rps")** | $r_p99 | $d_p99 |" | tee -a "$report"
    done
done
stop_servers
fi
if phase acl; then
{
    echo
    echo "| ACL: test -P 16 | Redis default user | Redis 20-pattern user | ratio | Redoubt default user | Redoubt 20-pattern user | ratio |"
    echo "|---|---|---|---|---|---|---|"
} | tee -a "$report"
start_servers
patterns=()
for i in $(seq 19); do patterns+=("~other$i:*"); done
patterns+=("~key:*")
for port in "$RPORT" "$DPORT"; do
    redis-cli -p "$port" ACL SETUSER bench on '>pw' "${patterns[@]}" '+@all' >/dev/null
done
acl_bench() { # PORT TEST [USER]
    local port=$1 t=$2; shift 2
    redis-benchmark -p "$port" -t "$t" -n "$N" -c 50 -P 16 "$@" --csv 2>/dev/null |
        awk -F'","' 'NR==2 {gsub(/"/,"",$2); print $2}'
}
for t in set get; do
    declare -A acl_r=()
    for who in default bench; do
        for port in "$RPORT" "$DPORT"; do
            args=()
            [ "$who" = bench ] && args=(--user bench -a pw)
            : >"$work/acl.txt"
            for _ in $(seq "$REPEATS"); do acl_bench "$port" "$t" "${args[@]}" >>"$work/acl.txt"; done
            acl_r[$port.$who]=$(median <"$work/acl.txt")
        done
    done
    echo "| $t | ${acl_r[$RPORT.default]} | ${acl_r[$RPORT.bench]} | $(ratio "${acl_r[$RPORT.bench]}" "${acl_r[$RPORT.default]}") | ${acl_r[$DPORT.default]} | ${acl_r[$DPORT.bench]} | **$(ratio "${acl_r[$DPORT.bench]}" "${acl_r[$DPORT.default]}")** |" | tee -a "$report"
done
stop_servers
fi
echo
if phase stalls; then
{
    echo
    echo "| while | Redis PING p99 ms | Redoubt PING p99 ms | Redis longest PING ms | Redoubt longest PING ms |"
    echo "|---|---|---|---|---|"
} | tee -a "$report"
python3 - >"$work/bighash.txt" <<'PY'
import sys
for c in range(1000):
    args = ["HSET", "big"]
    for i in range(1000):
        args += ["field:%d" % (c * 1000 + i), "v"]
    sys.stdout.write("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
# stall PORT SETUP CMD...: after SETUP ("hash" or "keys"), PINGs from one
# client around CMD -> "p99 max" in ms
stall() {
    local port=$1 setup=$2; shift 2
    redis-cli -p "$port" flushall >/dev/null
    if [ "$setup" = hash ]; then
        redis-cli -p "$port" --pipe <"$work/bighash.txt" >/dev/null
    else
        redis-cli -p "$port" debug populate 1000000 >/dev/null
    fi
    redis-benchmark -p "$port" -t ping_mbulk -c 1 -n 100000 --csv >"$work/stall.csv" 2>/dev/null &
    local bp=$!
    sleep 0.3
    redis-cli -p "$port" "$@" >/dev/null
    wait "$bp"
    awk -F'","' 'NR==2 {gsub(/"/,"",$7); gsub(/"/,"",$8); print $7, $8}' "$work/stall.csv"
}
start_servers --enable-debug-command yes
for what in "hash unlink big" "hash del big" "keys keys *"; do
    read -r setup cmd arg <<<"$what"
    : >"$work/r.txt"; : >"$work/d.txt"
    for _ in $(seq "$REPEATS"); do
        stall "$RPORT" "$setup" "$cmd" "$arg" >>"$work/r.txt"
        stall "$DPORT" "$setup" "$cmd" "$arg" >>"$work/d.txt"
    done
    r_p99=$(awk '{print $1}' "$work/r.txt" | median); d_p99=$(awk '{print $1}' "$work/d.txt" | median)
    r_max=$(awk '{print $2}' "$work/r.txt" | median); d_max=$(awk '{print $2}' "$work/d.txt" | median)
    label="${cmd^^} of a 1,000,000-field hash"
    [ "$setup" = keys ] && label="KEYS * over 1,000,000 keys"
    echo "| $label | $r_p99 | $d_p99 | $r_max | $d_max |" | tee -a "$report"
done
stop_servers
fi
echo "written to $report"
