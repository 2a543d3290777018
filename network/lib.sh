# shellcheck shell=bash
# Shared by network/up.sh, network/down.sh and network/deploy.sh: where things live, which ports
# the nodes use, how Fabric's binaries are found, and how processes are started and stopped.
#
# Every node listens on 127.0.0.1. Ports are EDULEDGER_PORT_BASE (default 17000) plus:
#   orderer1 +50/+51/+52 (cluster+client, admin, operations); orderer2 +60..; orderer3 +70..
#   GovMSP peer +100 (peer), +101 (chaincode callbacks), +102 (operations), +110.. chaincode servers
#   SchoolMSP peer +200 ...; EnterpriseMSP peer +300 ...
# so the default block (17050-17319) stays clear of the services (8080, 8081) and of Fabric's
# test-network (7050-9445).

set -o errexit -o nounset -o pipefail

FABRIC_VERSION=2.5.16
NETWORK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$NETWORK_DIR/.." && pwd)
STATE=${EDULEDGER_NETWORK_DIR:-$NETWORK_DIR/.state}
PORT_BASE=${EDULEDGER_PORT_BASE:-17000}
CHANNEL=eduledger
CHAINCODE=eduledger

ORGS=(gov school enterprise)
declare -A ORG_MSP=([gov]=GovMSP [school]=SchoolMSP [enterprise]=EnterpriseMSP)
declare -A ORG_SLOT=([gov]=100 [school]=200 [enterprise]=300)

die() {
	echo "network: $*" >&2
	exit 1
}

log() { echo "network: $*" >&2; }

orderer_port() { echo $((PORT_BASE + 40 + 10 * $1)); }
orderer_admin_port() { echo $((PORT_BASE + 41 + 10 * $1)); }
orderer_ops_port() { echo $((PORT_BASE + 42 + 10 * $1)); }
peer_port() { echo $((PORT_BASE + ORG_SLOT[$1])); }
peer_cc_port() { echo $((PORT_BASE + ORG_SLOT[$1] + 1)); }
peer_ops_port() { echo $((PORT_BASE + ORG_SLOT[$1] + 2)); }
# peer_pprof_port ORG: the peer's Go profiling endpoint, served only with EDULEDGER_PROFILE=1.
peer_pprof_port() { echo $((PORT_BASE + ORG_SLOT[$1] + 3)); }
# chaincode_port ORG SLOT: the port of that organisation's chaincode server for chaincode slot 0-9.
chaincode_port() { echo $((PORT_BASE + ORG_SLOT[$1] + 10 + $2)); }
# chaincode_pprof_port ORG SLOT: that chaincode server's profiling endpoint (EDULEDGER_PROFILE=1).
chaincode_pprof_port() { echo $((PORT_BASE + ORG_SLOT[$1] + 30 + $2)); }

CRYPTO=$STATE/crypto
orderer_dir() { echo "$CRYPTO/ordererOrganizations/orderer.eduledger.local/orderers/orderer$1.orderer.eduledger.local"; }
orderer_tlsca() { echo "$CRYPTO/ordererOrganizations/orderer.eduledger.local/tlsca/tlsca.orderer.eduledger.local-cert.pem"; }
orderer_admin_dir() { echo "$CRYPTO/ordererOrganizations/orderer.eduledger.local/users/Admin@orderer.eduledger.local"; }
org_dir() { echo "$CRYPTO/peerOrganizations/$1.eduledger.local"; }
peer_dir() { echo "$(org_dir "$1")/peers/peer0.$1.eduledger.local"; }
org_tlsca() { echo "$(org_dir "$1")/tlsca/tlsca.$1.eduledger.local-cert.pem"; }
org_admin_msp() { echo "$(org_dir "$1")/users/Admin@$1.eduledger.local/msp"; }

# orderer_count prints how many orderers this network was created with (1 or 3).
orderer_count() { cat "$STATE/orderers" 2>/dev/null || echo 3; }

# resolve_fabric sets FABRIC_BIN, FABRIC_CFG and CCAAS_BUILDER. It uses $FABRIC_BIN when set, or
# else the official release in the cache folder, downloading it when the machine is online.
resolve_fabric() {
	if [[ -z "${FABRIC_BIN:-}" ]]; then
		local cache=${EDULEDGER_FABRIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eduledger/fabric-$FABRIC_VERSION}
		if [[ ! -x "$cache/bin/peer" ]]; then
			download_fabric "$cache"
		fi
		FABRIC_BIN=$cache/bin
	fi
	FABRIC_BIN=$(cd "$FABRIC_BIN" 2>/dev/null && pwd) || die "FABRIC_BIN=$FABRIC_BIN is not a folder"
	local exe
	for exe in peer orderer configtxgen osnadmin cryptogen; do
		[[ -x "$FABRIC_BIN/$exe" ]] || die "FABRIC_BIN=$FABRIC_BIN has no executable '$exe' (expected the bin/ folder of a Fabric $FABRIC_VERSION release)"
	done
	local version
	version=$("$FABRIC_BIN/peer" version 2>/dev/null | awk '/Version:/ {print $2; exit}')
	[[ "$version" == 2.5.* ]] || die "FABRIC_BIN=$FABRIC_BIN holds Fabric '${version:-unknown}', need 2.5.x"
	FABRIC_CFG=${FABRIC_CFG:-$FABRIC_BIN/../config}
	[[ -f "$FABRIC_CFG/core.yaml" && -f "$FABRIC_CFG/orderer.yaml" ]] ||
		die "no core.yaml/orderer.yaml in $FABRIC_CFG (set FABRIC_CFG, or lay FABRIC_BIN out like the release: bin/ next to config/)"
	CCAAS_BUILDER=${CCAAS_BUILDER:-$FABRIC_BIN/../builders/ccaas}
	for exe in detect build release; do
		[[ -x "$CCAAS_BUILDER/bin/$exe" ]] ||
			die "no chaincode-as-a-service builder at $CCAAS_BUILDER/bin/$exe (set CCAAS_BUILDER, or lay FABRIC_BIN out like the release: bin/ next to builders/ccaas/)"
	done
	FABRIC_CFG=$(cd "$FABRIC_CFG" && pwd)
	CCAAS_BUILDER=$(cd "$CCAAS_BUILDER" && pwd)
	export FABRIC_BIN FABRIC_CFG CCAAS_BUILDER
}

download_fabric() {
	local cache=$1
	local url=https://github.com/hyperledger/fabric/releases/download/v$FABRIC_VERSION/hyperledger-fabric-linux-amd64-$FABRIC_VERSION.tar.gz
	[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] ||
		die "FABRIC_BIN is not set and no Fabric release is cached; the download covers linux-amd64 only: build Fabric $FABRIC_VERSION and set FABRIC_BIN"
	command -v curl >/dev/null || die "FABRIC_BIN is not set and curl is missing to download Fabric $FABRIC_VERSION"
	log "FABRIC_BIN is not set: downloading Fabric $FABRIC_VERSION into $cache"
	mkdir -p "$cache"
	local tmp
	tmp=$(mktemp -d)
	if ! curl -fsSL --connect-timeout 10 --max-time 600 -o "$tmp/fabric.tar.gz" "$url"; then
		rm -rf "$tmp"
		die "FABRIC_BIN is not set and Fabric $FABRIC_VERSION could not be downloaded from $url (offline?): set FABRIC_BIN to the bin/ folder of a Fabric $FABRIC_VERSION build"
	fi
	tar -xzf "$tmp/fabric.tar.gz" -C "$cache" || die "the downloaded Fabric release is not a valid tar.gz"
	rm -rf "$tmp"
	[[ -x "$cache/bin/peer" ]] || die "the downloaded Fabric release has no bin/peer"
}

# start_process NAME CMD...: runs CMD detached, its output in logs/NAME.log, its pid in pids/NAME.pid.
# A process already running under NAME is left alone.
start_process() {
	local name=$1
	shift
	mkdir -p "$STATE/logs" "$STATE/pids"
	if is_running "$name"; then
		return 0
	fi
	setsid "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
	echo $! >"$STATE/pids/$name.pid"
}

is_running() {
	local pidfile=$STATE/pids/$1.pid
	[[ -f "$pidfile" ]] || return 1
	local pid
	pid=$(cat "$pidfile")
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# stop_process NAME...: SIGTERM to each, then SIGKILL to whatever still runs 10 s later. The
# processes are signalled together and waited for together, so stopping a tier costs one grace
# period, not one per process. Only pids this library started are signalled.
stop_process() {
	local name pid pids=() pidfiles=() i
	for name in "$@"; do
		local pidfile=$STATE/pids/$name.pid
		[[ -f "$pidfile" ]] || continue
		pidfiles+=("$pidfile")
		pid=$(cat "$pidfile")
		if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
	done
	for ((i = 0; i < 100 && ${#pids[@]} > 0; i++)); do
		local alive=()
		for pid in "${pids[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive+=("$pid")
		done
		pids=("${alive[@]}")
		((${#pids[@]} == 0)) || sleep 0.1
	done
	for pid in "${pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	((${#pidfiles[@]} == 0)) || rm -f "${pidfiles[@]}"
}

# wait_healthy NAME PORT: waits until the operations endpoint on PORT answers /healthz with 200.
wait_healthy() {
	local name=$1 port=$2 i
	for ((i = 0; i < 300; i++)); do
		if http_ok "127.0.0.1" "$port" /healthz; then
			return 0
		fi
		is_running "$name" || die "$name exited; see $STATE/logs/$name.log"
		sleep 0.1
	done
	die "$name did not become healthy on 127.0.0.1:$port within 30 s; see $STATE/logs/$name.log"
}

# wait_listening NAME PORT: waits until NAME accepts TCP connections on 127.0.0.1:PORT.
wait_listening() {
	local name=$1 port=$2 i
	for ((i = 0; i < 100; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		is_running "$name" || die "$name exited; see $STATE/logs/$name.log"
		sleep 0.1
	done
	die "$name is not listening on 127.0.0.1:$port after 10 s; see $STATE/logs/$name.log"
}

http_ok() {
	local host=$1 port=$2 path=$3
	if command -v curl >/dev/null; then
		curl -fsS -o /dev/null --max-time 2 "http://$host:$port$path" 2>/dev/null
		return
	fi
	# No curl: speak HTTP/1.0 over bash's /dev/tcp.
	local status
	status=$(
		exec 3<>"/dev/tcp/$host/$port" || exit 1
		printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$host" >&3
		head -n1 <&3
	) 2>/dev/null || return 1
	[[ "$status" == *" 200 "* ]]
}

# retry N CMD...: runs CMD until it succeeds, at most N times, half a second apart.
retry() {
	local n=$1 i
	shift
	for ((i = 1; i <= n; i++)); do
		if "$@" >"$STATE/logs/last-retry.log" 2>&1; then
			return 0
		fi
		sleep 0.5
	done
	cat "$STATE/logs/last-retry.log" >&2
	return 1
}

# peer_env ORG [MSPDIR]: exports what the peer CLI needs to act as ORG's admin (or MSPDIR's identity)
# against ORG's peer.
peer_env() {
	local org=$1
	export FABRIC_CFG_PATH=$STATE/config/peer
	export CORE_PEER_TLS_ENABLED=true
	export CORE_PEER_LOCALMSPID=${ORG_MSP[$org]}
	export CORE_PEER_MSPCONFIGPATH=${2:-$(org_admin_msp "$org")}
	export CORE_PEER_ADDRESS=127.0.0.1:$(peer_port "$org")
	export CORE_PEER_TLS_ROOTCERT_FILE=$(org_tlsca "$org")
}

# orderer_args: the peer CLI's flags for reaching a running orderer over TLS.
orderer_args() {
	local i n
	n=$(orderer_count)
	for ((i = 1; i <= n; i++)); do
		if is_running "orderer$i"; then
			echo "-o 127.0.0.1:$(orderer_port "$i") --tls --cafile $(orderer_tlsca)"
			return
		fi
	done
	echo "-o 127.0.0.1:$(orderer_port 1) --tls --cafile $(orderer_tlsca)"
}

# endorser_args: --peerAddresses/--tlsRootCertFiles for every running peer.
endorser_args() {
	local org
	for org in "${ORGS[@]}"; do
		if is_running "peer0.$org"; then
			echo -n " --peerAddresses 127.0.0.1:$(peer_port "$org") --tlsRootCertFiles $(org_tlsca "$org")"
		fi
	done
}
