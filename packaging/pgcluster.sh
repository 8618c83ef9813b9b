#!/bin/sh
# pgcluster.sh: a highly available PostgreSQL for the hub on one machine's
# loopback, without containers: one etcd (v3 API) and three PostgreSQL
# nodes (15 on Debian bookworm) managed by Patroni 3.0 in synchronous mode,
# so that a commit the hub is told about is flushed on two nodes. It is the
# recipe docs/CLUSTER.md describes and what hub/clustertest runs its
# failure tests on.
#
#   pgcluster.sh start  DIR   create the cluster in DIR the first time, start
#                             whatever of it is not running (also a member
#                             killed before), wait until it is healthy, make
#                             sure the hub's database exists, print the hub's
#                             postgres_url
#   pgcluster.sh wait   DIR   wait until it is healthy: three members running,
#                             one leader and one synchronous standby
#   pgcluster.sh url    DIR   print the hub's postgres_url
#   pgcluster.sh status DIR   the members as patronictl lists them
#   pgcluster.sh kill   DIR MEMBER
#                             a power cut of MEMBER (node1, node2, node3):
#                             SIGKILL its Patroni and every PostgreSQL process
#                             of it at once
#   pgcluster.sh stop   DIR   stop the members and etcd (DIR stays)
#
# Ports: eight consecutive TCP ports on 127.0.0.1 from PGCLUSTER_PORT
# (default: a free range picked at creation): etcd's client and peer ports,
# then PostgreSQL of node1..3, then Patroni's REST API of node1..3. They
# are kept in DIR/cluster.env.
#
# Timing (Patroni's dynamic configuration, set when the cluster is created;
# change it later with patronictl edit-config): ttl 15 s, loop_wait 2 s,
# retry_timeout 5 s, overridable with PGCLUSTER_TTL, PGCLUSTER_LOOP_WAIT and
# PGCLUSTER_RETRY_TIMEOUT. A dead leader's key expires at most ttl after its
# last renewal, the synchronous standby takes it at once (it watches the
# key) and promotes in a second or two; the other standby, which retries
# streaming every wal_retrieve_retry_interval (500 ms here, 5 s by default:
# its first try fails until Patroni made its replication slot on the new
# leader), then becomes the synchronous standby: writes resume within
# ttl + a few seconds (Patroni's defaults, 30/10/10, make that about 35 s).
# Patroni wants loop_wait + 2 * retry_timeout <= ttl; a retry_timeout
# shorter than 5 s makes a leader on a loaded two-core machine demote
# itself when etcd or PostgreSQL answers slowly for a moment.
#
# Durability: synchronous_mode and synchronous_mode_strict with
# synchronous_node_count 1, synchronous_commit on, fsync on: a commit
# returns once its WAL is flushed on the leader and on the synchronous
# standby, and with no standby left, writes wait rather than go on with one
# copy. Patroni promotes only the synchronous standby. use_pg_rewind lets a
# killed leader rejoin as a standby.
#
# Users: PostgreSQL refuses to run as root, so as root PostgreSQL, Patroni
# and etcd run as PGCLUSTER_USER (default nobody) through setpriv; DIR must
# then be reachable by that user. Passwords (superuser, replication, the
# hub's) are random, in DIR (mode 600); the hub's is in DIR/hub.pgpass,
# which its postgres_url names, so that no password is in a configuration.
# pg_hba lets only 127.0.0.1 in, with scram-sha-256.
#
# Needs: patroni, etcd-server, postgresql, procps (packaging/install-deps.sh),
# curl, and Debian's python3 (Patroni's own).
set -eu

# PostgreSQL's server: PGBIN, else the newest /usr/lib/postgresql/*/bin
# (Debian bookworm's is 15).
PGBIN=${PGBIN:-$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -t/ -k5,5n | tail -n 1)}
PY=/usr/bin/python3
HUB_USER=lienthong
HUB_DB=lienthong
SCOPE=lienthong

die() {
	echo "pgcluster: $*" >&2
	exit 1
}

usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" | sed -n '/^  pgcluster.sh/,/^$/p' >&2
	exit 2
}

# as CMD...: runs CMD as the cluster's user (when root), in the
# foreground, with a clean environment.
as() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$RUNAS" --regid="$RUNAS_GROUP" --clear-groups \
			env -i PATH=/usr/bin:/bin HOME="$DIR" LANG=C.UTF-8 "$@"
	else
		env -i PATH=/usr/bin:/bin HOME="$DIR" LANG=C.UTF-8 "$@"
	fi
}

secret() {
	od -An -N18 -tx1 /dev/urandom | tr -d ' \n'
}

# pick_ports prints a base port with eight free TCP ports on 127.0.0.1,
# below the kernel's ephemeral range.
pick_ports() {
	$PY - <<'EOF'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 32000)
    socks = []
    try:
        for p in range(base, base + 8):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
else:
    raise SystemExit("no free range of ports")
EOF
}

load() {
	[ -f "$DIR/cluster.env" ] || die "$DIR holds no cluster (pgcluster.sh start $DIR makes one)"
	# shellcheck disable=SC1091 # written by create
	. "$DIR/cluster.env"
	RUNAS=${RUNAS:-}
	RUNAS_GROUP=$(id -gn "$RUNAS" 2>/dev/null || true)
}

create() {
	[ -x "$PGBIN/postgres" ] || die "no PostgreSQL server in $PGBIN; run packaging/install-deps.sh"
	command -v patroni >/dev/null || die "no patroni; run packaging/install-deps.sh"
	command -v etcd >/dev/null || die "no etcd; run packaging/install-deps.sh"
	mkdir -p "$DIR"
	base=${PGCLUSTER_PORT:-$(pick_ports)}
	RUNAS=""
	if [ "$(id -u)" = 0 ]; then
		RUNAS=${PGCLUSTER_USER:-nobody}
		RUNAS_GROUP=$(id -gn "$RUNAS") || die "no user $RUNAS to run PostgreSQL as"
		as test -x "$DIR" || die "$RUNAS cannot reach $DIR; give a folder every user may traverse"
	fi
	umask 077
	cat >"$DIR/cluster.env" <<EOF
RUNAS=$RUNAS
ETCD_PORT=$base
ETCD_PEER_PORT=$((base + 1))
PG1=$((base + 2))
PG2=$((base + 3))
PG3=$((base + 4))
API1=$((base + 5))
API2=$((base + 6))
API3=$((base + 7))
SUPER_PW=$(secret)
REPL_PW=$(secret)
HUB_PW=$(secret)
EOF
	load
	printf '*:*:%s:%s:%s\n' "$HUB_DB" "$HUB_USER" "$HUB_PW" >"$DIR/hub.pgpass"
	mkdir -p "$DIR/etcd"
	for n in 1 2 3; do
		mkdir -p "$DIR/node$n"
		eval "pg=\$PG$n api=\$API$n"
		cat >"$DIR/node$n/patroni.yml" <<EOF
scope: $SCOPE
name: node$n
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$api
  connect_address: 127.0.0.1:$api
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    ttl: ${PGCLUSTER_TTL:-15}
    loop_wait: ${PGCLUSTER_LOOP_WAIT:-2}
    retry_timeout: ${PGCLUSTER_RETRY_TIMEOUT:-5}
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: true
    synchronous_node_count: 1
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        synchronous_commit: "on"
        fsync: "on"
        full_page_writes: "on"
        wal_level: replica
        hot_standby: "on"
        max_connections: 200
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        shared_buffers: 64MB
        wal_retrieve_retry_interval: 500ms
  initdb:
    - encoding: UTF8
    - locale: C
    - data-checksums
postgresql:
  listen: 127.0.0.1:$pg
  connect_address: 127.0.0.1:$pg
  data_dir: $DIR/node$n/data
  bin_dir: $PGBIN
  pgpass: $DIR/node$n/pgpass
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    superuser:
      username: postgres
      password: $SUPER_PW
    replication:
      username: replicator
      password: $REPL_PW
  parameters:
    unix_socket_directories: $DIR/node$n
  pg_hba:
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
watchdog:
  mode: off
EOF
	done
	if [ -n "$RUNAS" ]; then
		chown -R "$RUNAS:$RUNAS_GROUP" "$DIR/etcd" "$DIR/node1" "$DIR/node2" "$DIR/node3"
	fi
}

# alive PIDFILE PATTERN: the process group in PIDFILE runs, and its
# leader's command line holds PATTERN (so that a reused pid is not taken
# for it).
alive() {
	[ -f "$1" ] || return 1
	pid=$(cat "$1")
	[ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"
}

# running PIDFILE: the process just spawned has not exited (a zombie's
# command line is empty; one still between fork and exec has the shell's).
# running: the process in pidfile $1 has not exited (it exists and is not a
# zombie). Not its command line: that reads empty for a moment while the
# process executes its next program (setsid → setpriv → env → etcd), which
# a loaded machine made long enough to take for an exit.
running() {
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$(cat "$1")/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# spawn PIDFILE LOG CMD...: runs CMD as the cluster's user in a session of
# its own, in the background, and writes its pid (= its process group).
spawn() {
	pidfile=$1 log=$2
	shift 2
	if [ -n "$RUNAS" ]; then
		setsid setpriv --reuid="$RUNAS" --regid="$RUNAS_GROUP" --clear-groups \
			env -i PATH=/usr/bin:/bin HOME="$DIR" LANG=C.UTF-8 "$@" >>"$log" 2>&1 </dev/null &
	else
		setsid env -i PATH=/usr/bin:/bin HOME="$DIR" LANG=C.UTF-8 "$@" >>"$log" 2>&1 </dev/null &
	fi
	echo $! >"$pidfile"
}

start_etcd() {
	alive "$DIR/etcd/pid" "etcd --name" && return 0
	spawn "$DIR/etcd/pid" "$DIR/etcd/etcd.log" etcd --name etcd --data-dir "$DIR/etcd/data" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "etcd=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-token "$SCOPE-$ETCD_PORT" \
		--initial-cluster-state new --logger zap --log-level warn
	i=0
	until curl -fsS "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; do
		i=$((i + 1))
		[ $i -lt 300 ] || die "etcd did not start; see $DIR/etcd/etcd.log"
		running "$DIR/etcd/pid" || die "etcd exited: $(tail -n 3 "$DIR/etcd/etcd.log")"
		sleep 0.1
	done
}

start_member() {
	alive "$DIR/node$1/patroni.pid" "node$1/patroni.yml" && return 0
	spawn "$DIR/node$1/patroni.pid" "$DIR/node$1/patroni.log" patroni "$DIR/node$1/patroni.yml"
}

# health prints "ok" when the three members' own REST APIs say they run,
# one as the leader to which the other two stream, one of them as its
# synchronous standby, the one Patroni records as such in etcd (the only
# one it would promote); else what it sees.
health() {
	{
		for api in $API1 $API2 $API3; do
			curl -fsS --max-time 2 "http://127.0.0.1:$api/patroni" 2>/dev/null || echo '{}'
			echo
		done
		curl -fsS --max-time 2 "http://127.0.0.1:$API1/cluster" 2>/dev/null ||
			curl -fsS --max-time 2 "http://127.0.0.1:$API2/cluster" 2>/dev/null ||
			curl -fsS --max-time 2 "http://127.0.0.1:$API3/cluster" 2>/dev/null || echo '{}'
		echo
	} | $PY -c '
import json, sys
lines = [json.loads(line) for line in sys.stdin if line.strip()]
ms, cluster = lines[:3], lines[3]
running = [m for m in ms if m.get("state") == "running"]
leaders = [m for m in running if m.get("role") in ("master", "primary")]
streams = leaders[0].get("replication", []) if len(leaders) == 1 else []
streaming = [r for r in streams if r.get("state") == "streaming"]
sync = [r.get("application_name") for r in streaming if r.get("sync_state") == "sync"]
recorded = [m.get("name") for m in cluster.get("members", []) if m.get("role") == "sync_standby"]
if len(running) == 3 and len(leaders) == 1 and len(streaming) == 2 and len(sync) == 1 and sync == recorded:
    print("ok")
else:
    print("%d members running, %d leaders, %d standbys streaming, synchronous %s, recorded as such %s" % (len(running), len(leaders), len(streaming), sync, recorded))
'
}

wait_healthy() {
	limit=${PGCLUSTER_WAIT:-180}
	start=$(date +%s)
	while :; do
		h=$(health)
		[ "$h" = ok ] && return 0
		[ $(($(date +%s) - start)) -lt "$limit" ] ||
			die "not healthy after ${limit}s: $h; see $DIR/node*/patroni.log"
		sleep 0.5
	done
}

leader_port() {
	for api in $API1 $API2 $API3; do
		if curl -fsS --max-time 2 "http://127.0.0.1:$api/leader" >/dev/null 2>&1; then
			eval "echo \$PG$(((api - API1) + 1))"
			return 0
		fi
	done
	die "no leader"
}

# hub_db creates the hub's role and database on the leader, once.
hub_db() {
	port=$(leader_port)
	PGPASSWORD=$SUPER_PW psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres <<EOF >/dev/null
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', '$HUB_USER', '$HUB_PW')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$HUB_USER') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$HUB_DB', '$HUB_USER')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$HUB_DB') \\gexec
EOF
	# A client trying the members in turn stops at one that says the
	# database does not exist: wait until every standby has replayed it.
	for port in $PG1 $PG2 $PG3; do
		i=0
		until [ "$(PGPASSWORD=$SUPER_PW psql -X -At -h 127.0.0.1 -p "$port" -U postgres -d postgres \
			-c "SELECT count(*) FROM pg_database WHERE datname = '$HUB_DB'" 2>/dev/null)" = 1 ]; do
			i=$((i + 1))
			[ $i -lt 600 ] || die "the database $HUB_DB did not reach the member on port $port"
			sleep 0.1
		done
	done
}

url() {
	echo "postgres://$HUB_USER@127.0.0.1:$PG1,127.0.0.1:$PG2,127.0.0.1:$PG3/$HUB_DB?target_session_attrs=read-write&connect_timeout=5&sslmode=disable&passfile=$DIR/hub.pgpass"
}

# kill_group PIDFILE PATTERN: SIGKILL the process group in PIDFILE if it
# is the one PATTERN names.
kill_group() {
	if alive "$1" "$2"; then
		kill -KILL "-$(cat "$1")" 2>/dev/null || true
	fi
}

power_cut() {
	n=${1#node}
	case $n in 1 | 2 | 3) ;; *) die "no member $1: node1, node2 or node3" ;; esac
	pm=$(head -n 1 "$DIR/node$n/data/postmaster.pid" 2>/dev/null || true)
	# Patroni first, so that it cannot start PostgreSQL again; then the
	# postmaster, stopped so that it forks no more, with its children (each
	# of which is a process group of its own), in one kill.
	kill_group "$DIR/node$n/patroni.pid" "node$n/patroni.yml"
	if [ -n "$pm" ] && [ -r "/proc/$pm/cmdline" ] && tr '\0' ' ' <"/proc/$pm/cmdline" | grep -qF -- "$DIR/node$n/data"; then
		kill -STOP "$pm" 2>/dev/null || true
		# shellcheck disable=SC2046 # one pid a word
		kill -KILL "$pm" $(pgrep -P "$pm") 2>/dev/null || true
	fi
}

stop_all() {
	for n in 1 2 3; do
		if alive "$DIR/node$n/patroni.pid" "node$n/patroni.yml"; then
			kill -TERM "$(cat "$DIR/node$n/patroni.pid")" 2>/dev/null || true
		fi
	done
	i=0
	for n in 1 2 3; do
		while alive "$DIR/node$n/patroni.pid" "node$n/patroni.yml" && [ $i -lt 300 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		power_cut "node$n" # whatever did not stop in 30 s, and a postmaster left alone
	done
	if alive "$DIR/etcd/pid" "etcd --name"; then
		kill -TERM "$(cat "$DIR/etcd/pid")" 2>/dev/null || true
		i=0
		while alive "$DIR/etcd/pid" "etcd --name" && [ $i -lt 100 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		kill_group "$DIR/etcd/pid" "etcd --name"
	fi
}

[ $# -ge 2 ] || usage
cmd=$1
DIR=$(cd "$2" 2>/dev/null && pwd) || { [ "$cmd" = start ] && mkdir -p "$2" && DIR=$(cd "$2" && pwd); } || die "no folder $2"
case $cmd in
start)
	[ -f "$DIR/cluster.env" ] || create
	load
	start_etcd
	for n in 1 2 3; do start_member "$n"; done
	wait_healthy
	hub_db
	url
	;;
wait)
	load
	wait_healthy
	;;
url)
	load
	url
	;;
status)
	load
	patronictl -c "$DIR/node1/patroni.yml" list
	;;
kill)
	[ $# -eq 3 ] || usage
	load
	power_cut "$3"
	;;
stop)
	load
	stop_all
	;;
*) usage ;;
esac
