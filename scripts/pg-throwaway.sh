#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for Kluis tests and benchmarks.
#
# Two ways to use it:
#   scripts/pg-throwaway.sh CMD [ARGS...]
#       Start a cluster, export KLUIS_TEST_POSTGRES_URL, run CMD, stop the cluster,
#       exit with CMD's status. If KLUIS_TEST_POSTGRES_URL is already set it is used
#       as is; if no PostgreSQL binaries are found CMD runs without it (with a warning).
#   source scripts/pg-throwaway.sh
#       Defines kluis_pg_find, kluis_pg_start and kluis_pg_stop (used by scripts/test.sh).
#
# The cluster lives in a fresh /tmp/kluis-pg.XXXXXX directory, listens only on
# 127.0.0.1 on a free random port in 20000-40000 and trusts the superuser "kluis":
#   postgres://kluis@127.0.0.1:PORT/postgres?sslmode=disable
# kluis_pg_start installs EXIT/INT/TERM traps that stop it (-m immediate) and remove
# the directory, also on failure or Ctrl-C. PostgreSQL refuses to run as root, so as
# root the server runs as the "postgres" user (or a system user "kluis-pg" that is
# created when neither exists; override with KLUIS_PG_USER).

KLUIS_PG_BINDIR=""   # directory holding initdb and pg_ctl (set by kluis_pg_find)
KLUIS_PG_DIR=""      # temp dir of the running cluster (set by kluis_pg_start)
KLUIS_PG_PORT=""
KLUIS_PG_OS_USER=""  # user the server runs as when we are root

# kluis_pg_find: locate initdb+pg_ctl on PATH, else the newest /usr/lib/postgresql/*/bin.
kluis_pg_find() {
	local initdb pgctl d
	initdb="$(command -v initdb 2>/dev/null || true)"
	pgctl="$(command -v pg_ctl 2>/dev/null || true)"
	if [[ -n "$initdb" && -n "$pgctl" ]]; then
		initdb="$(readlink -f "$initdb")"
		pgctl="$(readlink -f "$pgctl")"
		if [[ "$(dirname "$initdb")" == "$(dirname "$pgctl")" ]]; then
			KLUIS_PG_BINDIR="$(dirname "$pgctl")"
			return 0
		fi
	fi
	while IFS= read -r d; do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
			KLUIS_PG_BINDIR="$d"
			return 0
		fi
	done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -t/ -k5,5 -V -r)
	# Mixed locations (initdb and pg_ctl on PATH but in different dirs): use PATH's.
	if [[ -n "$initdb" && -n "$pgctl" ]]; then
		KLUIS_PG_BINDIR=""
		return 0
	fi
	return 1
}

# _kluis_pg_bin NAME: full path (or bare name found on PATH) of a PostgreSQL program.
_kluis_pg_bin() {
	if [[ -n "$KLUIS_PG_BINDIR" ]]; then
		printf '%s\n' "$KLUIS_PG_BINDIR/$1"
	else
		command -v "$1"
	fi
}

# _kluis_pg_as_user CMD...: run CMD as the server's user (ourselves unless root),
# from inside the cluster dir (initdb/pg_ctl fail if they cannot read the cwd).
_kluis_pg_as_user() {
	(
		cd "$KLUIS_PG_DIR"
		if [[ "$(id -u)" -ne 0 ]]; then
			exec "$@"
		elif command -v runuser >/dev/null 2>&1; then
			exec runuser -u "$KLUIS_PG_OS_USER" -- "$@"
		else
			exec su -s /bin/sh "$KLUIS_PG_OS_USER" -c "$(printf '%q ' "$@")"
		fi
	)
}

# _kluis_pg_pick_user: as root, choose (or create) the unprivileged server user.
_kluis_pg_pick_user() {
	[[ "$(id -u)" -eq 0 ]] || return 0
	local u
	for u in "${KLUIS_PG_USER:-}" postgres kluis-pg; do
		if [[ -n "$u" ]] && id -u "$u" >/dev/null 2>&1; then
			KLUIS_PG_OS_USER="$u"
			return 0
		fi
	done
	echo "pg-throwaway: creating system user kluis-pg to run PostgreSQL (it refuses to run as root)" >&2
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin kluis-pg
	KLUIS_PG_OS_USER="kluis-pg"
}

# _kluis_pg_port_busy PORT: true if something already accepts connections on it.
_kluis_pg_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# kluis_pg_stop: stop the cluster and remove its directory (idempotent).
kluis_pg_stop() {
	if [[ -n "$KLUIS_PG_DIR" && -d "$KLUIS_PG_DIR" ]]; then
		if [[ -f "$KLUIS_PG_DIR/data/postmaster.pid" ]]; then
			_kluis_pg_as_user "$(_kluis_pg_bin pg_ctl)" -D "$KLUIS_PG_DIR/data" \
				-m immediate -w stop >/dev/null 2>&1 || true
		fi
		rm -rf -- "$KLUIS_PG_DIR"
	fi
	KLUIS_PG_DIR=""
}

# kluis_pg_start: init + start a cluster, export KLUIS_TEST_POSTGRES_URL.
kluis_pg_start() {
	if [[ -z "$KLUIS_PG_BINDIR" ]] && ! kluis_pg_find; then
		echo "pg-throwaway: initdb/pg_ctl not found" >&2
		return 1
	fi
	_kluis_pg_pick_user
	KLUIS_PG_DIR="$(mktemp -d /tmp/kluis-pg.XXXXXX)"
	trap kluis_pg_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if [[ -n "$KLUIS_PG_OS_USER" ]]; then
		chown "$KLUIS_PG_OS_USER:" "$KLUIS_PG_DIR"
	fi

	local initdb pgctl
	initdb="$(_kluis_pg_bin initdb)"
	pgctl="$(_kluis_pg_bin pg_ctl)"
	echo "pg-throwaway: initdb ($("$initdb" --version)) in $KLUIS_PG_DIR" >&2
	if ! _kluis_pg_as_user "$initdb" -D "$KLUIS_PG_DIR/data" -U kluis --auth=trust \
		-E UTF8 --locale=C --no-sync >"$KLUIS_PG_DIR/initdb.log" 2>&1; then
		cat "$KLUIS_PG_DIR/initdb.log" >&2
		echo "pg-throwaway: initdb failed" >&2
		return 1
	fi

	local attempt port log
	for attempt in $(seq 1 25); do
		port=$((20000 + RANDOM % 20001))
		_kluis_pg_port_busy "$port" && continue
		log="$KLUIS_PG_DIR/postgres-$port.log"
		if _kluis_pg_as_user "$pgctl" -D "$KLUIS_PG_DIR/data" -l "$log" -w -t 60 \
			-o "-k '$KLUIS_PG_DIR' -p $port -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" \
			start >/dev/null 2>&1; then
			KLUIS_PG_PORT="$port"
			export KLUIS_TEST_POSTGRES_URL="postgres://kluis@127.0.0.1:$port/postgres?sslmode=disable"
			echo "pg-throwaway: PostgreSQL running at $KLUIS_TEST_POSTGRES_URL" >&2
			return 0
		fi
		# Lost a race for the port (another run grabbed it): try another one.
		if grep -qE 'could not bind|already in use|could not create any TCP/IP sockets' "$log" 2>/dev/null; then
			echo "pg-throwaway: port $port busy, retrying ($attempt)" >&2
			continue
		fi
		cat "$log" >&2 2>/dev/null || true
		echo "pg-throwaway: pg_ctl start failed" >&2
		return 1
	done
	echo "pg-throwaway: no free port found in 20000-40000 after 25 tries" >&2
	return 1
}

# Executed (not sourced): run the given command against a throwaway cluster.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -euo pipefail
	if [[ $# -eq 0 ]]; then
		echo "usage: $0 CMD [ARGS...]   (or: source $0)" >&2
		exit 2
	fi
	if [[ -n "${KLUIS_TEST_POSTGRES_URL:-}" ]]; then
		:
	elif kluis_pg_find; then
		kluis_pg_start
	else
		echo "pg-throwaway: WARNING: PostgreSQL binaries not found, running without KLUIS_TEST_POSTGRES_URL" >&2
	fi
	set +e
	"$@"
	status=$?
	set -e
	exit "$status"
fi
