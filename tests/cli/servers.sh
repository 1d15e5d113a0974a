# servers.sh: real git servers for the CLI tests, each on a free port of
# 127.0.0.1 with its own configuration in the test's temp dir, stopped by
# the test's EXIT trap (sourced after lib.sh; never touches the system's
# own services or their configuration).
#
#   servers_install          installs the test-server packages (as root)
#   servers_user ROLE SHELL  a dedicated account for a server (removed at exit)
#   sshd_start USER...       sshd, key authentication only, for those accounts
#   http_start SITE-CONF     apache2 + git http-backend, the site config given
#   gitolite_setup           gitolite3 for a dedicated account, temp admin key
#   ssh_client_host ALIAS USER KEY
#                            a Host for the test's own ssh client (root's)
#
# Every server passes SERVERS_HOOK_ENV (the test's clock, the sanitizer
# options) to the hooks it runs, so the hook judges by the same clock as
# the test's appctl. The shim `appctl hook install` writes records the
# absolute path of $APPCTL, which this file points at a copy every account
# can run.
#
# A start function that fails returns 1 with the reason in SERVERS_WHY
# (not root, package missing, server did not answer): the test skips
# that setup and says why. Usage (tests/cli/server_setups.sh):
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/servers.sh"
#   servers_install
#   if servers_user git /usr/bin/git-shell && sshd_start "$SRV_USER"; then
#       ... git push ssh://$SRV_USER@127.0.0.1:$SSHD_PORT/...
#   else
#       echo "# SKIP: $SERVERS_WHY"
#   fi

# Run directly (ctest globs every *.sh), this file has nothing to test.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	exit 0
fi

: "${TEST_ROOT:?source lib.sh first}"

SERVERS_DIR="$TEST_ROOT/servers"
mkdir -p "$SERVERS_DIR"
# The server accounts reach their homes, repositories and the test's
# appctl through TEST_ROOT, which mktemp made private.
chmod 0711 "$TEST_ROOT" "$SERVERS_DIR"

# The build tree may sit where other accounts cannot go (a private clone
# under a 0700 directory, as CI makes it): the servers' accounts run a
# copy of appctl next to their repositories, which every shim records.
mkdir -p "$SERVERS_DIR/bin"
cp "$APPCTL" "$SERVERS_DIR/bin/appctl"
chmod 0755 "$SERVERS_DIR/bin" "$SERVERS_DIR/bin/appctl"
APPCTL="$SERVERS_DIR/bin/appctl"

# What every server passes on to the hooks it runs.
SERVERS_HOOK_ENV=(APPCTL_TODAY APPCTL_NOW ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS)

SERVERS_PIDS=()
SERVERS_USERS=()
# Why a server cannot run here (set by the start functions on failure).
SERVERS_WHY=""

servers_stop()
{
	local pid u
	for pid in "${SERVERS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${SERVERS_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	# apache2's children and sshd's sessions end with their parent; give a
	# receive-pack that is still finishing a moment before removing users.
	for u in "${SERVERS_USERS[@]}"; do
		userdel "$u" 2>/dev/null || { sleep 1; userdel -f "$u" 2>/dev/null; }
	done
	if [ -n "${SERVERS_KEEP:-}" ]; then
		echo "servers: kept $TEST_ROOT" >&2
		return
	fi
	rm -rf "$TEST_ROOT" 2>/dev/null || { sleep 1; rm -rf "$TEST_ROOT"; }
}
trap servers_stop EXIT

# servers_install: the test-server group of scripts/install-deps.sh, when
# root (CI); otherwise whatever is installed is used.
servers_install()
{
	if [ "$(id -u)" -eq 0 ]; then
		bash "$APPCTL_SOURCE_DIR/scripts/install-deps.sh" --test-servers >&2 \
			|| echo "servers: install-deps.sh --test-servers failed" >&2
	fi
	# The test looks into the servers' repositories, which their own
	# accounts own: its git (HOME is the test's) may read them.
	git config --global --add safe.directory '*'
}

# servers_root: true when the servers can be run (they need root to switch
# to their accounts); else SERVERS_WHY says why.
servers_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		SERVERS_WHY="not root: the servers run as accounts of their own"
		return 1
	fi
	if ! command -v useradd >/dev/null 2>&1; then
		SERVERS_WHY="useradd not found"
		return 1
	fi
	return 0
}

# Accounts left behind by a run that was killed: their home is gone.
servers_remove_stale_users()
{
	local name home
	getent passwd | awk -F: '$1 ~ /^actl[0-9]+-/ { print $1 " " $6 }' |
		while read -r name home; do
			if [ ! -d "$home" ] && ! ps -u "$name" >/dev/null 2>&1; then
				userdel "$name" 2>/dev/null || true
			fi
		done
}

# servers_user ROLE SHELL: a dedicated system account "actl<pid>-ROLE"
# with login shell SHELL, home $SERVERS_DIR/ROLE-home (0700, its own),
# key authentication only (no password; not locked, so sshd lets it in).
# Sets SRV_USER and SRV_HOME; removed at exit.
servers_user()
{
	local role=$1 shell=$2
	SRV_USER="actl$$-$role"
	SRV_HOME="$SERVERS_DIR/$role-home"
	servers_root || return 1
	[ "${#SERVERS_USERS[@]}" -gt 0 ] || servers_remove_stale_users
	if ! useradd --system --user-group --no-create-home --home-dir "$SRV_HOME" \
		--shell "$shell" "$SRV_USER" >"$SERVERS_DIR/useradd.log" 2>&1; then
		SERVERS_WHY="useradd $SRV_USER failed: $(cat "$SERVERS_DIR/useradd.log")"
		return 1
	fi
	SERVERS_USERS+=("$SRV_USER")
	# '*': no password can match, and the account is not locked ('!').
	usermod -p '*' "$SRV_USER"
	mkdir -p "$SRV_HOME"
	chown "$SRV_USER:$SRV_USER" "$SRV_HOME"
	chmod 0700 "$SRV_HOME"
}

# as_user USER CMD...: CMD as USER, with USER's HOME (as `sudo -u USER`).
as_user()
{
	local u=$1
	shift
	runuser -u "$u" -- env HOME="$(getent passwd "$u" | cut -d: -f6)" "$@"
}

# port_answers PORT: something accepts connections on 127.0.0.1:PORT.
port_answers()
{
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# servers_launch NAME CMD...: starts CMD (which reads $PORT) on free ports
# until it answers there; the server's output goes to $SERVERS_DIR/NAME.log.
# Sets PORT and SRV_PID; returns 1 when it never answers.
servers_launch()
{
	local name=$1 try i cmd
	shift
	for try in $(seq 1 10); do
		PORT=$((20000 + RANDOM % 40000))
		port_answers "$PORT" && continue
		cmd=("${@//@PORT@/$PORT}")
		"${cmd[@]}" >>"$SERVERS_DIR/$name.log" 2>&1 &
		SRV_PID=$!
		for i in $(seq 1 100); do
			kill -0 "$SRV_PID" 2>/dev/null || break
			if port_answers "$PORT"; then
				SERVERS_PIDS+=("$SRV_PID")
				return 0
			fi
			sleep 0.1
		done
		kill "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
	done
	SRV_PID=""
	SERVERS_WHY="$name did not answer on 127.0.0.1: $(tail -n 5 "$SERVERS_DIR/$name.log")"
	return 1
}

# ---- sshd ----

SSH_CONFIG="$SERVERS_DIR/ssh_config"
SSH_KNOWN_HOSTS="$SERVERS_DIR/known_hosts"

# sshd_start USER...: sshd on 127.0.0.1:$SSHD_PORT for those accounts only,
# public keys from each one's ~/.ssh/authorized_keys, no passwords, no
# PAM; its own config and host key in $SERVERS_DIR/sshd. The sessions get
# SERVERS_HOOK_ENV through SetEnv. Sets SSHD_PORT, SSHD_HOST_KEY (the
# public key line).
sshd_start()
{
	local d="$SERVERS_DIR/sshd" sshd v setenv=""
	servers_root || return 1
	sshd=$(command -v sshd || echo /usr/sbin/sshd)
	if [ ! -x "$sshd" ]; then
		SERVERS_WHY="sshd not installed (openssh-server)"
		return 1
	fi
	mkdir -p "$d"
	# sshd's privilege separation directory (the package's service makes it).
	[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519" </dev/null || return 1
	for v in "${SERVERS_HOOK_ENV[@]}"; do
		[ -n "${!v+x}" ] && setenv="$setenv $v=${!v}"
	done
	cat >"$d/sshd_config" <<-EOF
	ListenAddress 127.0.0.1
	HostKey $d/host_ed25519
	PidFile none
	AuthorizedKeysFile .ssh/authorized_keys
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	PermitRootLogin no
	AllowUsers $*
	X11Forwarding no
	AllowTcpForwarding no
	PrintMotd no
	LogLevel VERBOSE
	EOF
	[ -z "$setenv" ] || echo "SetEnv$setenv" >>"$d/sshd_config"
	if ! "$sshd" -t -f "$d/sshd_config" >"$d/check.log" 2>&1; then
		SERVERS_WHY="sshd refuses its config: $(cat "$d/check.log")"
		return 1
	fi
	servers_launch sshd "$sshd" -D -e -f "$d/sshd_config" -p @PORT@ || return 1
	SSHD_PORT=$PORT
	SSHD_HOST_KEY=$(cut -d' ' -f1,2 "$d/host_ed25519.pub")
	echo "[127.0.0.1]:$SSHD_PORT $SSHD_HOST_KEY" >>"$SSH_KNOWN_HOSTS"
}

# ssh_client_host ALIAS USER KEY: a Host ALIAS in the test's own ssh client
# configuration (root's ~/.ssh is never touched: OpenSSH reads the
# passwd entry's home, not $HOME, so git is told `ssh -F` that file).
ssh_client_host()
{
	cat >>"$SSH_CONFIG" <<-EOF
	Host $1
	    HostName 127.0.0.1
	    Port $SSHD_PORT
	    User $2
	    IdentityFile $3
	    IdentitiesOnly yes
	    BatchMode yes
	    StrictHostKeyChecking yes
	    UserKnownHostsFile $SSH_KNOWN_HOSTS
	    GlobalKnownHostsFile /dev/null

	EOF
	git config --global core.sshCommand "ssh -F $SSH_CONFIG"
}

# ---- apache2 + git http-backend ----

# http_start SITE-CONF: apache2 (prefork, mod_cgi) on 127.0.0.1:$HTTP_PORT
# running as www-data, with the site configuration SITE-CONF (a file:
# what docs/server-hooks.md tells an administrator to write) included
# after the modules it needs; ServerRoot, logs, pid and lock files in
# $SERVERS_DIR/apache. SERVERS_HOOK_ENV reach git http-backend, hence the
# hooks, by SetEnv.
http_start()
{
	local d="$SERVERS_DIR/apache" httpd m v mods=/usr/lib/apache2/modules
	servers_root || return 1
	httpd=$(command -v apache2 || echo /usr/sbin/apache2)
	if [ ! -x "$httpd" ] || [ ! -f "$mods/mod_cgi.so" ]; then
		SERVERS_WHY="apache2 not installed"
		return 1
	fi
	if ! getent passwd www-data >/dev/null; then
		SERVERS_WHY="no www-data account"
		return 1
	fi
	mkdir -p "$d/run" "$d/logs"
	{
		echo "ServerRoot $d"
		echo "ServerName 127.0.0.1"
		echo "Listen 127.0.0.1:\${HTTP_PORT}"
		echo "PidFile $d/run/httpd.pid"
		echo "DefaultRuntimeDir $d/run"
		echo "ErrorLog $d/logs/error.log"
		echo "LogLevel warn"
		echo "User www-data"
		echo "Group www-data"
		echo "StartServers 2"
		echo "MinSpareServers 1"
		echo "MaxSpareServers 4"
		for m in mpm_prefork authz_core authz_user authn_core authn_file \
			auth_basic alias cgi env; do
			echo "LoadModule ${m}_module $mods/mod_$m.so"
		done
		for v in "${SERVERS_HOOK_ENV[@]}"; do
			[ -n "${!v+x}" ] && echo "SetEnv $v ${!v}"
		done
		echo "Include $1"
	} >"$d/httpd.conf"
	if ! HTTP_PORT=1 "$httpd" -t -f "$d/httpd.conf" >"$d/check.log" 2>&1; then
		SERVERS_WHY="apache2 refuses its config: $(cat "$d/check.log")"
		return 1
	fi
	# In its own session: stopping, apache2 signals its whole process
	# group, which would otherwise be the test's.
	servers_launch apache setsid env HTTP_PORT=@PORT@ "$httpd" -DFOREGROUND \
		-f "$d/httpd.conf" || return 1
	HTTP_PORT=$PORT
}

# http_user NAME PASSWORD: a user of the site's basic authentication, in
# $SERVERS_DIR/apache/htpasswd (htpasswd from apache2-utils).
HTPASSWD="$SERVERS_DIR/htpasswd"
http_user()
{
	local create=-c
	[ -f "$HTPASSWD" ] && create=""
	htpasswd -b -B $create "$HTPASSWD" "$1" "$2" 2>/dev/null \
		|| fail "htpasswd $1"
	chmod 0644 "$HTPASSWD"
}

# ---- gitolite3 ----

# gitolite_setup: gitolite3 for a dedicated account ($GL_USER, home
# $GL_HOME, login shell /bin/sh, as gitolite's forced commands need) set up
# with `gitolite setup -pk admin.pub` from a temp admin key
# ($GL_ADMIN_KEY). The sshd started later must allow $GL_USER.
gitolite_setup()
{
	local gitolite
	gitolite=$(command -v gitolite || echo /usr/bin/gitolite)
	if [ ! -x "$gitolite" ]; then
		SERVERS_WHY="gitolite not installed (gitolite3)"
		return 1
	fi
	servers_user gl /bin/sh || return 1
	GL_USER=$SRV_USER
	GL_HOME=$SRV_HOME
	GL_ADMIN_KEY="$SERVERS_DIR/gl-admin"
	ssh-keygen -q -t ed25519 -N '' -C admin -f "$GL_ADMIN_KEY" </dev/null || return 1
	install -o "$GL_USER" -m 0644 "$GL_ADMIN_KEY.pub" "$GL_HOME/admin.pub"
	if ! (cd "$GL_HOME" && as_user "$GL_USER" "$gitolite" setup -pk admin.pub) \
		>"$SERVERS_DIR/gitolite-setup.log" 2>&1; then
		SERVERS_WHY="gitolite setup failed: $(tail -n 5 "$SERVERS_DIR/gitolite-setup.log")"
		return 1
	fi
}
