#!/usr/bin/env bash
# Cluster benchmarks on one machine: a private PostgreSQL and 1, 2, 3 `svod node` processes on loopback, loaded by
# `svod bench` (demo model, synthetic encoder; every transcript checked). Prints one JSON line per measurement.
# Everything shares this machine's cores: nodes, database and load generator.
#
#   bash tools/bench/cluster.sh                 # all measurements
#   SECONDS_PER_RUN=10 bash tools/bench/cluster.sh scaling
#
# Measurements:
#   scaling   frames/s at saturation (256 streams, as fast as possible) for 1, 2, 3 nodes, and snapshots/s
#   capacity  real-time streams on 3 nodes: p99 partial latency at each of $CAPACITY_STREAMS
#   held      channels held open (idle, one message decoded each) on 1, 2, 3 nodes: $HELD_PER_NODE per node, and the
#             memory each costs
#   recovery  3 nodes, real-time load, kill -9 one node: the longest any token or final waited (default timings)
set -euo pipefail
cd "$(dirname "$0")/../.."

what=${1:-all}
seconds=${SECONDS_PER_RUN:-15}
capacity_streams=${CAPACITY_STREAMS:-"2000 4000 6000 8000 10000"}
recovery_streams=${RECOVERY_STREAMS:-1000}
held_per_node=${HELD_PER_NODE:-10000}

dotnet build src/Svod.Cluster -c Release -v q -nologo >/dev/null
svod="dotnet src/Svod.Cluster/bin/Release/net10.0/svod.dll"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/svod-cluster-bench.XXXX)
port=$((20000 + RANDOM % 20000))
pids=()
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${pids[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done
  as_pg "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
as_pg "$bin/initdb" -D "$work/data" -U svod --auth=trust --no-sync >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w -o \
  "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c max_connections=400" start >/dev/null

database=0
# start_nodes N: a fresh database and N nodes on it; sets $servers (comma-separated) and $first
start_nodes() {
  for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  database=$((database + 1))
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U svod "bench$database"
  local conn="Host=127.0.0.1;Port=$port;Username=svod;Database=bench$database"
  servers=""
  for i in $(seq "$1"); do
    local p=$((port + 100 * database + i))
    $svod node --urls "http://127.0.0.1:$p" -D "svod.cluster.postgres=\"$conn\"" -D "svod.node.channels=12000" \
      "${@:2}" >"$work/node$database-$i.log" 2>&1 &
    pids+=($!)
    servers="${servers:+$servers,}ws://127.0.0.1:$p"
    first="http://127.0.0.1:$((port + 100 * database + 1))"
  done
  for _ in $(seq 300); do
    if $svod cluster show --server "$first" --json 2>/dev/null | python3 -c "
import json,sys; m=[x for x in json.load(sys.stdin) if x['state']=='up']; c=[x['shards'] for x in m]
sys.exit(0 if len(m)==$1 and sum(c)==64 and max(c)-min(c)<=1 else 1)" 2>/dev/null; then return; fi
    sleep 0.2
  done
  echo "cluster of $1 did not settle; last view and each node's log:" >&2
  $svod cluster show --server "$first" >&2 || true
  for i in $(seq "$1"); do echo "== node $i" >&2; tail -20 "$work/node$database-$i.log" >&2; done
  exit 1
}

snapshots() { # total snapshots written by every node
  local total=0
  for s in ${servers//,/ }; do
    n=$(curl -s "${s/ws:/http:}/v1/stats" | python3 -c "
import json,sys
try: print(json.load(sys.stdin)['snapshots']['written'])
except Exception: print(0)")
    total=$((total + n))
  done
  echo $total
}

if [ "$what" = all ] || [ "$what" = scaling ]; then
  for n in 1 2 3; do
    start_nodes "$n"
    before=$(snapshots); t0=$(date +%s.%N)
    line=$($svod bench --server "$servers" --streams 256 --duration "$seconds" --chunk-frames 64 --json | tail -1)
    after=$(snapshots); t1=$(date +%s.%N)
    echo "{\"measure\":\"scaling\",\"nodes\":$n,\"snapshots_per_s\":$(python3 -c "print(round(($after-$before)/($t1-$t0)))"),\"bench\":$line}"
  done
fi

if [ "$what" = all ] || [ "$what" = capacity ]; then
  start_nodes 3
  for streams in $capacity_streams; do
    before=$(snapshots); t0=$(date +%s.%N)
    line=$($svod bench --server "$servers" --streams "$streams" --duration "$seconds" --realtime --connections 8 --json | tail -1)
    after=$(snapshots); t1=$(date +%s.%N)
    echo "{\"measure\":\"capacity\",\"nodes\":3,\"snapshots_per_s\":$(python3 -c "print(round(($after-$before)/($t1-$t0)))"),\"bench\":$line}"
  done
fi

if [ "$what" = all ] || [ "$what" = held ]; then
  for n in 1 2 3; do
    start_nodes "$n"
    line=$($svod bench --server "$servers" --idle-streams $((n * held_per_node)) --connections 8 --json | tail -1)
    echo "{\"measure\":\"held\",\"nodes\":$n,\"bench\":$line}"
  done
fi

if [ "$what" = all ] || [ "$what" = recovery ]; then
  start_nodes 3
  $svod bench --server "$servers" --streams "$recovery_streams" --duration 20 --realtime --json >"$work/recovery.json" &
  bench=$!
  sleep 8
  kill -9 "${pids[2]}"
  killed=$(date +%s.%N)
  wait $bench || true
  echo "{\"measure\":\"recovery\",\"nodes\":3,\"killed_at\":$killed,\"bench\":$(tail -1 "$work/recovery.json")}"
fi
