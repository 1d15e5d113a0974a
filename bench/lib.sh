# lib.sh: what the benchmarks share (sourced). Expects $src (the source
# tree), $appctl and $gen (bench/gen_log) to be set; bench_setup makes $work.

# bench_setup NAME: a scratch dir $work (removed on exit, with the git
# daemon start_daemon may have started), a private HOME and git config.
bench_setup()
{
	work=$(mktemp -d "${TMPDIR:-/tmp}/appctl-bench-$1.XXXXXX")
	daemon=""
	trap bench_cleanup EXIT
	export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C NO_COLOR=1
	mkdir -p "$HOME" "$work/srv"
}

bench_cleanup()
{
	[ -z "$daemon" ] || { kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true; }
	rm -rf "$work" 2>/dev/null || { sleep 1; rm -rf "$work"; }
}

now_ns() { date +%s%N; }
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# make_repo DIR EVENTS: the org, initialised, its log grown to EVENTS events.
make_repo()
{
	local dir=$1 events=$2 a b head
	git init -q -b dev "$dir"
	git -C "$dir" config user.name bench
	git -C "$dir" config user.email bench@example.com
	cp -r "$src/examples/org/." "$dir/"
	# No webhooks either: the time measured is the release's, not a network's.
	jq '.approvals.require_signature = false | del(.notify)' "$dir/appctl.json" >"$dir/tmp.json"
	mv "$dir/tmp.json" "$dir/appctl.json"
	git -C "$dir" add -A
	git -C "$dir" commit -q -m org
	"$appctl" -C "$dir" init >/dev/null
	a=$(git -C "$dir" rev-parse dev)
	jq '.roles.Finance.members += ["dan@example.com"]' \
		"$dir/apps/billing-admin/app.json" >"$dir/tmp.json"
	mv "$dir/tmp.json" "$dir/apps/billing-admin/app.json"
	git -C "$dir" commit -q -am "dan joins Finance"
	b=$(git -C "$dir" rev-parse dev)
	git -C "$dir" show refs/appctl/log:state.json >"$work/state.json"
	head=$(git -C "$dir" rev-parse refs/appctl/log)
	"$gen" $((events - 1)) "$work/state.json" "$head" staging dev "$a" "$b" \
		"$(git -C "$dir" rev-parse "$a^{tree}")" "$(git -C "$dir" rev-parse "$b^{tree}")" |
		git -C "$dir" fast-import --quiet
	git -C "$dir" pack-refs --all
	[ "$(git -C "$dir" show refs/appctl/log:state.json | jq .seq)" = "$events" ] ||
		{ echo "bench: the log of $dir does not hold $events events" >&2; exit 1; }
	# A clone judges a log it has not seen once, then keeps the verified
	# head (.git/appctl/verified-log): that one-time cost is reported, not
	# timed with the commands.
	local t0 t1
	t0=$(now_ns)
	"$appctl" -C "$dir" status >/dev/null
	t1=$(now_ns)
	awk -v e="$events" -v t="$((t1 - t0))" 'BEGIN {
		printf "first check of a %d-event log (once per clone): %.1f s\n", e, t / 1e9 }' >&2
}

# serve NAME CLIENT HOOK: a bare copy of CLIENT as $work/srv/NAME.git, with
# the hook when HOOK is 1.
serve()
{
	local bare="$work/srv/$1.git"
	git clone -q --bare "$2" "$bare"
	git -C "$bare" gc -q
	if [ "$3" = 1 ]; then
		"$appctl" -C "$bare" hook install --server >/dev/null
	fi
}

# start_daemon: one `git daemon` serving $work/srv on 127.0.0.1:$port, its
# pid in $daemon (the caller stops it).
start_daemon()
{
	local try i
	for try in $(seq 1 20); do
		port=$((20000 + RANDOM % 40000))
		git daemon --enable=receive-pack --export-all --base-path="$work/srv" \
			--reuseaddr --listen=127.0.0.1 --port="$port" 2>/dev/null &
		daemon=$!
		for i in $(seq 1 50); do
			kill -0 "$daemon" 2>/dev/null || break
			if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
				return 0
			fi
			sleep 0.1
		done
		kill "$daemon" 2>/dev/null || true
		daemon=""
	done
	echo "bench: git daemon did not start" >&2
	exit 1
}

