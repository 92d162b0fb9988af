#!/usr/bin/env bash
# Removes what setup.sh STATE_DIR made: stops its sshd instances, deletes its network
# namespaces, veth links and routes, then the state directory.
set -uo pipefail
STATE=${1:?usage: teardown.sh STATE_DIR}
[ -d "$STATE" ] || exit 0
# Only a directory setup.sh made (it holds this marker): never remove anything else.
if [ ! -f "$STATE/.airs-test-hosts" ]; then
    echo "teardown.sh: $STATE was not made by setup.sh; leaving it alone" >&2
    exit 1
fi
for pidfile in "$STATE"/sshd_*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
if [ -f "$STATE/links" ]; then
    while read -r link; do ip link del "$link" 2>/dev/null; done <"$STATE/links"
fi
if [ -f "$STATE/netns" ]; then
    while read -r ns; do
        # Anything still running inside (a straggler sshd session) goes with it.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done <"$STATE/netns"
fi
rm -rf "$STATE"
