#!/bin/sh
# make demo-cluster: the demo of make demo on two hub nodes sharing one
# PostgreSQL database. Everything is in demo-cluster/ (apart from make
# demo's demo/, whose folder only its owner may enter): a demo PKI, a
# throwaway PostgreSQL cluster in demo-cluster/pg (run as the user nobody
# when run as root: PostgreSQL refuses root), two hub nodes on it (node 1 on 127.0.0.1:4433, node 2 on
# 127.0.0.1:4434), runs the demo's exchange with the sender's clerk on
# node 1 and the recipient's on node 2, then an auditor's checks that both
# nodes serve one log. Keeps everything running until Ctrl+C
# (DEMO_EXIT=1 stops after the scripted part); stopping stops the nodes
# and PostgreSQL. make clean removes demo-cluster/.
#
# A single PostgreSQL, not the HA cluster: for Patroni see the README.
# For tests (hub/nodestest runs this script), DEMO_BIN, DEMO_STATE and
# DEMO_NODE1, DEMO_OPS1, DEMO_NODE2, DEMO_OPS2 override the binaries'
# folder, the state folder and the addresses.
set -eu
cd "$(dirname "$0")/.."
bin=${DEMO_BIN:-bin}
state=${DEMO_STATE:-demo-cluster}
pki=$state/pki
mkdir -p "$state"
pg=$(cd "$state" && pwd)/pg
node1=${DEMO_NODE1:-127.0.0.1:4433} ops1=${DEMO_OPS1:-127.0.0.1:9433}
node2=${DEMO_NODE2:-127.0.0.1:4434} ops2=${DEMO_OPS2:-127.0.0.1:9434}
export LC_ALL=C.UTF-8 # for initdb's checks; the demo's text is UTF-8

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -1)
[ -n "$pgbin" ] || pgbin=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
if [ ! -x "$pgbin/pg_ctl" ]; then
	echo "demo-cluster: PostgreSQL's server (pg_ctl, initdb) not found; run make deps" >&2
	exit 1
fi
# A unix socket path is at most 107 bytes.
if [ ${#pg} -gt 90 ]; then
	echo "demo-cluster: $pg is too long a path for PostgreSQL's socket; run from a shorter checkout path" >&2
	exit 1
fi
as_pg() { "$@"; }
if [ "$(id -u)" = 0 ]; then
	as_pg() { runuser -u nobody -- "$@"; }
fi

[ -f "$pki/ca.crt" ] || "$bin/lienthong-certs" demo --out "$pki" >/dev/null

# PostgreSQL: unix socket only, in its own folder; its data survive a
# restart of the demo.
mkdir -p "$pg"
[ "$(id -u)" != 0 ] || chown nobody "$pg"
if ! as_pg test -w "$pg"; then
	echo "demo-cluster: the PostgreSQL user cannot write $pg (a parent folder closed to others?)" >&2
	exit 1
fi
if [ ! -f "$pg/data/PG_VERSION" ]; then
	as_pg "$pgbin/initdb" -D "$pg/data" -U postgres --auth=trust -E UTF8 --locale=C >"$state/initdb.log" 2>&1 ||
		{ cat "$state/initdb.log" >&2; exit 1; }
fi
pids=
stop() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	as_pg "$pgbin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null 2>&1 || true
}
trap stop EXIT
trap 'exit 130' INT TERM
as_pg "$pgbin/pg_ctl" -D "$pg/data" -o "-k $pg -c listen_addresses=''" -l "$pg/log" -w -t 60 start >/dev/null ||
	{ cat "$pg/log" >&2; exit 1; }
url="host=$pg user=postgres dbname=lienthong"
as_pg "$pgbin/psql" -h "$pg" -U postgres -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = 'lienthong'" | grep -q 1 ||
	as_pg "$pgbin/createdb" -h "$pg" -U postgres lienthong
echo "demo-cluster: PostgreSQL running in $pg (socket only); database lienthong"

# Two hub nodes of one hub: the same PKI, receipt identity and log key.
start_node() { # n listen ops
	"$bin/lienthong-hub" demo --pki "$pki" --data "$state/hub$1" --listen "$2" --ops "$3" --postgres "$url" 2>"$state/hub$1.log" &
	pids="$pids $!"
}
start_node 1 "$node1" "$ops1"
start_node 2 "$node2" "$ops2"
for ops in $ops1 $ops2; do
	i=0
	until curl -fsS "http://$ops/readyz" >/dev/null 2>&1 || wget -qO- "http://$ops/readyz" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "demo-cluster: a hub node did not start; the logs:" >&2
			cat "$state/hub1.log" "$state/hub2.log" >&2
			exit 1
		fi
		sleep 0.1
	done
done
echo "demo-cluster: hub node 1 on $node1 (ops http://$ops1), node 2 on $node2 (ops http://$ops2); logs in $state/hub1.log, hub2.log"

echo
echo "demo-cluster: Quảng Ninh's clerk uses node 1, Nghệ An's node 2:"
DEMO_BIN=$bin DEMO_STATE=$state DEMO_PKI=$pki DEMO_SENDER_HUB=$node1 DEMO_RECIPIENT_HUB=$node2 ./packaging/demo-exchange.sh

echo
echo "demo-cluster: an auditor fetches the log's checkpoint from each node and checks they are one history:"
audit() { # node state-file
	"$bin/lienthong-verify" log --hub "$1" --cert "$pki/agencies/000.00.00.G22.crt" --key "$pki/agencies/000.00.00.G22.key" \
		--roots "$pki/ca.crt" --log-key "$pki/log.pub" --origin localhost/log --state "$2"
}
audit "$node1" "$state/auditor-node1.json"
audit "$node2" "$state/auditor-node2.json"
"$bin/lienthong-verify" compare --hub "$node2" --cert "$pki/agencies/000.00.00.G22.crt" --key "$pki/agencies/000.00.00.G22.key" \
	--roots "$pki/ca.crt" --log-key "$pki/log.pub" --origin localhost/log "$state/auditor-node1.json" "$state/auditor-node2.json"

if [ "${DEMO_EXIT:-0}" = 1 ]; then
	exit 0
fi
echo
echo "demo-cluster: both nodes and PostgreSQL keep running; press Ctrl+C to stop them."
wait
