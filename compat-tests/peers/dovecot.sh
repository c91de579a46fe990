#!/bin/sh
# Dovecot as a reference POP3 peer, driven with polypopd's command line:
#
#   dovecot.sh --listen pop3@HOST:PORT --users FILE --mail LOCATION
#              [--config FILE] [--state DIR] [--tls-cert FILE --tls-key FILE]
#   dovecot.sh deliver --mail LOCATION USER [FOLDER] < message
#
# PORT 0 picks a free port.  Once Dovecot accepts connections the script
# prints "listening pop3 HOST:PORT" (polypopd's contract) and waits; SIGTERM
# stops Dovecot and the script exits with Dovecot's status.  polypopd's
# --config keys auth_failure_delay (ms) and max_connections_per_ip map onto
# Dovecot settings; the others are ignored, as are --login-delay and
# --expire (a case's server-options, see run.py).  Needs dovecot-pop3d
# (Debian) and python3 (free port, readiness probe).  State goes in --state
# DIR, or in a "dovecot" folder beside the users file.
set -eu

DOVECOT=${DOVECOT:-dovecot}
LDA=${DOVECOT_LDA:-/usr/lib/dovecot/dovecot-lda}

die() { echo "dovecot.sh: $*" >&2; exit 2; }

# Dovecot refuses to hand mail to uid 0.  Run as root, the script gives
# the mail tree to an unprivileged user (DOVECOT_MAIL_USER, default
# "dovecot") and makes the folders above it traversable.
if [ "$(id -u)" = 0 ]; then
	mail_user=${DOVECOT_MAIL_USER:-dovecot}
else
	mail_user=$(id -un)
fi
mail_uid=$(id -u "$mail_user")
mail_gid=$(id -g "$mail_user")

# The folder holding every user's mail: LOCATION up to its first '%'.
give_mail_tree() {
	[ "$(id -u)" = 0 ] || return 0
	path=${1#*:}
	path=${path%%:*}
	case $path in
	*%*) root=$(dirname "${path%%\%*}x") ;;
	*) root=$(dirname "$path") ;;
	esac
	mkdir -p "$root"
	chown -R "$mail_uid:$mail_gid" "$root"
	d=$root
	while [ "$d" != / ] && [ "$d" != . ]; do
		chmod go+x "$d"
		d=$(dirname "$d")
	done
}

# Values shared by the server and delivery configurations.
common_conf() {
	# $1 state dir, $2 mail location
	uid=$mail_uid; gid=$mail_gid; user=$(id -un); group=$(id -gn)
	if [ "$(id -u)" = 0 ]; then
		login_user=dovenull
	else
		login_user=$user
	fi
	cat <<CONF
base_dir = $1/run
state_dir = $1/state
log_path = /dev/stderr
info_log_path = /dev/stderr
debug_log_path = /dev/null
ssl = no
disable_plaintext_auth = no
first_valid_uid = 0
first_valid_gid = 0
mail_uid = $uid
mail_gid = $gid
default_internal_user = $user
default_internal_group = $group
default_login_user = $login_user
mail_location = $2
mbox_write_locks = dotlock fcntl
mbox_read_locks = fcntl
mail_fsync = always
CONF
}

deliver() {
	mail=""
	while [ $# -gt 0 ]; do
		case $1 in
		--mail) mail=$2; shift 2 ;;
		--*) die "deliver: unknown option $1" ;;
		*) break ;;
		esac
	done
	[ -n "$mail" ] && [ $# -ge 1 ] || die "deliver --mail LOCATION USER [FOLDER]"
	rcpt=$1
	state=$(mktemp -d "${TMPDIR:-/tmp}/dovecot-lda.XXXXXX")
	trap 'rm -rf "$state"' EXIT
	mkdir -p "$state/run" "$state/state"
	# No auth lookup: the invoking user delivers with %u already resolved.
	loc=$(printf '%s' "$mail" | sed "s|%u|$rcpt|g")
	common_conf "$state" "$loc" > "$state/dovecot.conf"
	echo "protocols = " >> "$state/dovecot.conf"
	folder=""
	[ $# -ge 2 ] && folder=$2
	give_mail_tree "$loc"
	chmod -R a+rX "$state"
	set -- -c "$state/dovecot.conf" -f sender@polypop.test -e
	[ -n "$folder" ] && set -- "$@" -m "$folder"
	if [ "$(id -u)" = 0 ]; then
		HOME=$state USER=$rcpt setpriv --reuid="$mail_uid" \
		    --regid="$mail_gid" --clear-groups "$LDA" "$@"
	else
		HOME=$state USER=$rcpt "$LDA" "$@"
	fi
}

if [ "${1:-}" = deliver ]; then
	shift
	deliver "$@"
	exit $?
fi

listen="" users="" mail="" config="" state="" cert="" key=""
while [ $# -gt 0 ]; do
	case $1 in
	--listen) listen=$2; shift 2 ;;
	--users) users=$2; shift 2 ;;
	--mail) mail=$2; shift 2 ;;
	--config) config=$2; shift 2 ;;
	--state) state=$2; shift 2 ;;
	--trace) shift 2 ;;
	# A case's server-options (run.py): polypopd's RFC 2449 site
	# policy, which this Dovecot setup does not offer (it announces
	# neither LOGIN-DELAY nor EXPIRE, so such cases skip).
	--login-delay|--expire) shift 2 ;;
	--tls-cert) cert=$2; shift 2 ;;
	--tls-key) key=$2; shift 2 ;;
	*) die "unknown argument $1" ;;
	esac
done
[ -n "$listen" ] && [ -n "$users" ] && [ -n "$mail" ] ||
	die "usage: dovecot.sh --listen pop3@HOST:PORT --users FILE --mail LOCATION"
case $listen in
pop3@*) hostport=${listen#pop3@} ;;
*) die "only pop3@HOST:PORT listeners are supported, not $listen" ;;
esac
host=${hostport%:*}
port=${hostport##*:}
host=${host#[}; host=${host%]}
if [ "$port" = 0 ]; then
	port=$(python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$host")
fi
users=$(cd "$(dirname "$users")" && pwd)/$(basename "$users")
[ -n "$state" ] || state=$(dirname "$users")/dovecot
mkdir -p "$state/run" "$state/state"
give_mail_tree "$mail"

delay=0 perip=1000
if [ -n "$config" ]; then
	v=$(sed -n 's/^[[:space:]]*auth_failure_delay[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$config")
	[ -n "$v" ] && delay=$v
	v=$(sed -n 's/^[[:space:]]*max_connections_per_ip[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$config")
	[ -n "$v" ] && perip=$v
fi

{
	common_conf "$state" "$mail"
	# --tls-cert/--tls-key (as polypopd's): STLS on the pop3 listener.
	if [ -n "$cert" ] && [ -n "$key" ]; then
		printf 'ssl = yes\nssl_cert = <%s\nssl_key = <%s\n' "$cert" "$key"
	fi
	cat <<CONF
protocols = pop3
listen = $host
auth_mechanisms = plain login apop cram-md5
auth_failure_delay = $((delay / 1000)) secs
login_trusted_networks = 127.0.0.0/8 ::1
pop3_lock_session = yes
mail_max_userip_connections = $perip
default_process_limit = 1000
default_client_limit = 4000
default_vsz_limit = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $users
}
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$state/home/%u
}
service pop3-login {
  inet_listener pop3 {
    address = $host
    port = $port
  }
  inet_listener pop3s {
    port = 0
  }
  service_count = 0
  process_min_avail = 1
  client_limit = 1000
}
service pop3 {
  process_limit = 1000
}
service auth {
  user = $(id -un)
}
CONF
} > "$state/dovecot.conf"

"$DOVECOT" -F -c "$state/dovecot.conf" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' TERM INT
python3 - "$host" "$port" "$pid" <<'PY' || { kill $pid 2>/dev/null; die "dovecot did not start"; }
import os, socket, sys, time
host, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(200):
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        socket.create_connection((host, port), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
echo "listening pop3 $host:$port"
set +e
wait $pid
rc=$?
# The trap interrupted the first wait; collect Dovecot's own status.
if kill -0 $pid 2>/dev/null || [ $rc -gt 128 ]; then
	wait $pid
	rc=$?
fi
exit $rc
