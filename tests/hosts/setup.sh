#!/usr/bin/env bash
# Test hosts with real sshd: setup.sh STATE_DIR [COUNT]
#
# Creates COUNT (default 3) reachable hosts plus one unreachable host on this machine and
# writes STATE_DIR/hosts.json describing them. Preferred: one network namespace per host
# (`ip netns`), joined to this namespace by its own veth pair, addressed from a private
# /24 (10.231.N.0/24, the first N from 77 not already routed here). The addresses exist
# only inside the namespaces: this side of each veth has no address, only a /32 route.
# Each reachable host runs Debian's sshd with a throwaway host key and an authorized test
# key; the unreachable one has an address but no sshd (connections are refused).
# Where namespaces are not permitted, several sshd instances listen on loopback ports.
# Installs openssh-server with apt-get when sshd is missing. Undo with teardown.sh.
set -euo pipefail
STATE=${1:?usage: setup.sh STATE_DIR [COUNT]}
COUNT=${2:-3}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
chmod 700 "$STATE"
touch "$STATE/.airs-test-hosts" # teardown.sh removes only directories with this marker

if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null; then
    echo "setup.sh: installing openssh-server" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq openssh-server openssh-client >/dev/null
fi
mkdir -p /run/sshd
chmod 755 /run/sshd

ssh-keygen -q -t ed25519 -N "" -C airs-test-client -f "$STATE/id_ed25519" <<<y >/dev/null 2>&1 || true
cp "$STATE/id_ed25519.pub" "$STATE/authorized_keys"
: >"$STATE/known_hosts"
ID=$(basename "$STATE" | tr -cd 'a-z0-9' | tail -c 6)
[ -n "$ID" ] || ID=$$
echo "$ID" >"$STATE/id"

start_sshd() { # name listen_address port [netns]
    local name=$1 addr=$2 port=$3 ns=${4:-}
    ssh-keygen -q -t ed25519 -N "" -f "$STATE/hostkey_$name" <<<y >/dev/null 2>&1
    cat >"$STATE/sshd_$name.conf" <<CONF
Port $port
ListenAddress $addr
HostKey $STATE/hostkey_$name
AuthorizedKeysFile $STATE/authorized_keys
PidFile $STATE/sshd_$name.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
MaxStartups 100:30:200
MaxSessions 100
AcceptEnv LANG
CONF
    # A clean remote shell: bash sources ~/.bashrc for ssh commands, and this machine's
    # (pyenv init) adds ~250 ms to each. In a private mount namespace for sshd only, an
    # empty file is mounted over it; the machine's own file is untouched.
    local run=(/usr/sbin/sshd -f "$STATE/sshd_$name.conf" -E "$STATE/sshd_$name.log")
    if [ -f "$HOME/.bashrc" ] && unshare -m --propagation private true 2>/dev/null; then
        : >"$STATE/empty_bashrc"
        run=(unshare -m --propagation private sh -c \
            'mount --bind "$1" "$2" 2>/dev/null; shift 2; exec "$@"' sh \
            "$STATE/empty_bashrc" "$HOME/.bashrc" "${run[@]}")
    fi
    if [ -n "$ns" ]; then
        ip netns exec "$ns" "${run[@]}"
    else
        "${run[@]}"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

HOSTS=()
mode=netns
if ip netns add "airs${ID}probe" 2>/dev/null; then
    ip netns del "airs${ID}probe"
else
    mode=loopback
fi

if [ "$mode" = netns ]; then
    NET=""
    for n in $(seq 77 126); do
        if ! ip route | grep -q "^10\.231\.$n\."; then NET=10.231.$n; break; fi
    done
    [ -n "$NET" ] || { echo "setup.sh: no free 10.231.N.0/24" >&2; exit 1; }
    echo "$NET" >"$STATE/net"
    for i in $(seq 1 $((COUNT + 1))); do
        ns="airs${ID}h$i" veth="airs${ID}v$i" addr="$NET.$((10 + i))"
        ip netns add "$ns"
        echo "$ns" >>"$STATE/netns"
        ip link add "$veth" type veth peer name eth0 netns "$ns"
        echo "$veth" >>"$STATE/links"
        ip link set "$veth" up
        ip -n "$ns" link set lo up
        ip -n "$ns" link set eth0 up
        ip -n "$ns" addr add "$addr/24" dev eth0
        ip -n "$ns" route add default dev eth0
        ip route add "$addr/32" dev "$veth"
        if [ "$i" -le "$COUNT" ]; then
            start_sshd "h$i" "$addr" 22 "$ns"
            HOSTS+=("{\"name\": \"h$i\", \"address\": \"$addr\", \"port\": 22, \"reachable\": true, \"log\": \"$STATE/sshd_h$i.log\", \"netns\": \"$ns\"}")
        else
            HOSTS+=("{\"name\": \"h$i\", \"address\": \"$addr\", \"port\": 22, \"reachable\": false, \"log\": null, \"netns\": \"$ns\"}")
        fi
    done
else
    for i in $(seq 1 $((COUNT + 1))); do
        port=$(free_port)
        if [ "$i" -le "$COUNT" ]; then
            start_sshd "h$i" 127.0.0.1 "$port"
            HOSTS+=("{\"name\": \"h$i\", \"address\": \"127.0.0.1\", \"port\": $port, \"reachable\": true, \"log\": \"$STATE/sshd_h$i.log\", \"netns\": null}")
        else
            HOSTS+=("{\"name\": \"h$i\", \"address\": \"127.0.0.1\", \"port\": $port, \"reachable\": false, \"log\": null, \"netns\": null}")
        fi
    done
fi

# Wait until every sshd answers (its banner), at most 10 s.
for h in "${HOSTS[@]}"; do
    case "$h" in *'"reachable": true'*) ;; *) continue ;; esac
    addr=$(sed -E 's/.*"address": "([^"]+)".*/\1/' <<<"$h")
    port=$(sed -E 's/.*"port": ([0-9]+).*/\1/' <<<"$h")
    for _ in $(seq 100); do
        if timeout 1 bash -c "exec 3<>/dev/tcp/$addr/$port && head -c 4 <&3" 2>/dev/null | grep -q SSH; then
            break
        fi
        sleep 0.1
    done
done

{
    printf '{"mode": "%s", "key": "%s", "known_hosts": "%s", "hosts": [' "$mode" "$STATE/id_ed25519" "$STATE/known_hosts"
    sep=""
    for h in "${HOSTS[@]}"; do printf '%s%s' "$sep" "$h"; sep=", "; done
    printf ']}\n'
} >"$STATE/hosts.json"
cat "$STATE/hosts.json"
