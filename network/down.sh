#!/usr/bin/env bash
# down.sh stops every process network/up.sh and network/deploy.sh started (chaincode servers,
# peers, orderers), by the process IDs they recorded, and keeps the network's state so that up.sh
# brings the same network back. With --clean it also deletes the state folder: crypto material,
# ledgers, staff identities, profiles.
#
# Usage: network/down.sh [--clean]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

clean=0
case ${1:-} in
"") ;;
--clean) clean=1 ;;
-h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
*) die "unknown argument '$1' (see --help)" ;;
esac

if [[ -d "$STATE/pids" ]]; then
	# Clients first, then peers, then orderers, so no node logs a storm of lost connections; each
	# tier at once.
	for tier in 'cc-*' 'peer*' 'orderer*'; do
		names=()
		for pidfile in "$STATE"/pids/$tier.pid; do
			[[ -f "$pidfile" ]] && names+=("$(basename "$pidfile" .pid)")
		done
		((${#names[@]} == 0)) || stop_process "${names[@]}"
	done
fi
if ((clean)); then
	# Refuse to delete anything that does not look like a network state folder.
	if [[ -d "$STATE" ]]; then
		[[ -f "$STATE/genesis.block" || -d "$STATE/crypto" || -d "$STATE/pids" || -z "$(ls -A "$STATE")" ]] ||
			die "$STATE does not look like a network state folder; not deleting it"
		rm -rf "$STATE"
	fi
	log "down: processes stopped, $STATE removed"
else
	log "down: processes stopped, state kept in $STATE (--clean removes it)"
fi
