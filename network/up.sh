#!/usr/bin/env bash
# up.sh brings EduLedger's Fabric network up as native processes on 127.0.0.1: raft orderers, one
# peer for each of GovMSP, SchoolMSP and EnterpriseMSP, the channel "eduledger", the chaincode
# "eduledger" running as a service for every organisation, staff identities with EduLedger's
# attributes, connection profiles, and a readiness probe through the gateway of every organisation.
#
# It is idempotent: on a network that already exists it restarts what is stopped, deploys the
# chaincode again only if its package changed, and waits for readiness. State lives in
# $EDULEDGER_NETWORK_DIR (default network/.state); network/down.sh --clean removes it.
#
# Usage: network/up.sh [--orderers 1|3] [--batch-timeout 20ms] [--no-chaincode]
# Environment: FABRIC_BIN (bin/ of a Fabric 2.5 release; downloaded into a cache when unset and
# online), EDULEDGER_PORT_BASE (default 17000), EDULEDGER_NETWORK_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

orderers=""
batch_timeout=${EDULEDGER_BATCH_TIMEOUT:-20ms}
batch_max=${EDULEDGER_BATCH_MAX_COUNT:-500}
deploy=1
while (($#)); do
	case $1 in
	--orderers)
		orderers=${2:-}
		shift 2
		;;
	--orderers=*)
		orderers=${1#*=}
		shift
		;;
	--batch-timeout)
		batch_timeout=${2:-}
		shift 2
		;;
	--no-chaincode)
		deploy=0
		shift
		;;
	-h | --help)
		sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

resolve_fabric
command -v go >/dev/null || die "go is required to build the chaincode server and the staff identity tool"
mkdir -p "$STATE"/{config/peer,config/orderer,logs,pids,data,bin,identities,profiles}

# --- the shape of this network is fixed when it is created ------------------------------------
if [[ -f "$STATE/orderers" ]]; then
	existing=$(cat "$STATE/orderers")
	[[ -z "$orderers" || "$orderers" == "$existing" ]] ||
		die "this network was created with $existing orderer(s); run network/down.sh --clean to recreate it with $orderers"
	orderers=$existing
	[[ "$(cat "$STATE/port-base")" == "$PORT_BASE" ]] ||
		die "this network was created with EDULEDGER_PORT_BASE=$(cat "$STATE/port-base"); run network/down.sh --clean to move it"
else
	orderers=${orderers:-3}
	[[ "$orderers" == 1 || "$orderers" == 3 ]] || die "--orderers must be 1 or 3, not '$orderers'"
	echo "$orderers" >"$STATE/orderers"
	echo "$PORT_BASE" >"$STATE/port-base"
fi

# --- crypto material and configuration ----------------------------------------------------------
if [[ ! -d "$CRYPTO" ]]; then
	log "generating crypto material"
	"$FABRIC_BIN/cryptogen" generate --config="$NETWORK_DIR/config/crypto-config.yaml" --output="$CRYPTO.tmp" >/dev/null
	mv "$CRYPTO.tmp" "$CRYPTO"
fi

render() {
	sed -e "s/@ORDERER1_PORT@/$(orderer_port 1)/g" \
		-e "s/@ORDERER2_PORT@/$(orderer_port 2)/g" \
		-e "s/@ORDERER3_PORT@/$(orderer_port 3)/g" \
		-e "s/@GOV_PEER_PORT@/$(peer_port gov)/g" \
		-e "s/@SCHOOL_PEER_PORT@/$(peer_port school)/g" \
		-e "s/@ENTERPRISE_PEER_PORT@/$(peer_port enterprise)/g" \
		-e "s/@BATCH_TIMEOUT@/$batch_timeout/g" \
		-e "s/@BATCH_MAX_COUNT@/$batch_max/g" "$1"
}

# The peers use a copy of the release's core.yaml with two edits an environment variable cannot
# make: no container engine (an empty vm.endpoint) and the absolute path of the ccaas builder.
sed -e 's|^\(\s*endpoint:\) unix:///var/run/docker.sock|\1 ""|' \
	-e "s|^\(\s*path:\) /opt/hyperledger/ccaas_builder|\1 $CCAAS_BUILDER|" \
	-e 's|0\.0\.0\.0:|127.0.0.1:|' \
	"$FABRIC_CFG/core.yaml" >"$STATE/config/peer/core.yaml"
grep -q "path: $CCAAS_BUILDER" "$STATE/config/peer/core.yaml" ||
	die "could not point core.yaml's ccaas_builder at $CCAAS_BUILDER (unexpected core.yaml in $FABRIC_CFG)"
sed -e 's|0\.0\.0\.0:|127.0.0.1:|' "$FABRIC_CFG/orderer.yaml" >"$STATE/config/orderer/orderer.yaml"

if [[ ! -f "$STATE/genesis.block" ]]; then
	log "writing the genesis block of channel $CHANNEL ($orderers orderer(s), BatchTimeout $batch_timeout)"
	render "$NETWORK_DIR/config/configtx.yaml" >"$STATE/configtx.yaml"
	FABRIC_CFG_PATH=$STATE "$FABRIC_BIN/configtxgen" -profile "EduLedgerRaft$orderers" -channelID "$CHANNEL" \
		-outputBlock "$STATE/genesis.block.tmp" >"$STATE/logs/configtxgen.log" 2>&1 ||
		die "configtxgen failed; see $STATE/logs/configtxgen.log"
	mv "$STATE/genesis.block.tmp" "$STATE/genesis.block"
fi

# --- orderers -------------------------------------------------------------------------------------
start_orderer() {
	local i=$1 dir
	dir=$(orderer_dir "$i")
	mkdir -p "$STATE/data/orderer$i"
	start_process "orderer$i" env \
		FABRIC_CFG_PATH="$STATE/config/orderer" \
		FABRIC_LOGGING_SPEC="${EDULEDGER_FABRIC_LOGGING:-info}" \
		ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 \
		ORDERER_GENERAL_LISTENPORT="$(orderer_port "$i")" \
		ORDERER_GENERAL_LOCALMSPID=OrdererMSP \
		ORDERER_GENERAL_LOCALMSPDIR="$dir/msp" \
		ORDERER_GENERAL_TLS_ENABLED=true \
		ORDERER_GENERAL_TLS_PRIVATEKEY="$dir/tls/server.key" \
		ORDERER_GENERAL_TLS_CERTIFICATE="$dir/tls/server.crt" \
		ORDERER_GENERAL_TLS_ROOTCAS="[$dir/tls/ca.crt]" \
		ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$dir/tls/server.crt" \
		ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$dir/tls/server.key" \
		ORDERER_GENERAL_CLUSTER_ROOTCAS="[$dir/tls/ca.crt]" \
		ORDERER_GENERAL_BOOTSTRAPMETHOD=none \
		ORDERER_CHANNELPARTICIPATION_ENABLED=true \
		ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:$(orderer_admin_port "$i")" \
		ORDERER_ADMIN_TLS_ENABLED=true \
		ORDERER_ADMIN_TLS_PRIVATEKEY="$dir/tls/server.key" \
		ORDERER_ADMIN_TLS_CERTIFICATE="$dir/tls/server.crt" \
		ORDERER_ADMIN_TLS_ROOTCAS="[$dir/tls/ca.crt]" \
		ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true \
		ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$dir/tls/ca.crt]" \
		ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$(orderer_ops_port "$i")" \
		ORDERER_METRICS_PROVIDER=prometheus \
		ORDERER_FILELEDGER_LOCATION="$STATE/data/orderer$i/ledger" \
		ORDERER_CONSENSUS_WALDIR="$STATE/data/orderer$i/etcdraft/wal" \
		ORDERER_CONSENSUS_SNAPDIR="$STATE/data/orderer$i/etcdraft/snapshot" \
		"$FABRIC_BIN/orderer"
}

osnadmin_args() {
	local i=$1 admin
	admin=$(orderer_admin_dir)
	echo "-o 127.0.0.1:$(orderer_admin_port "$i") --ca-file $(orderer_tlsca) --client-cert $admin/tls/client.crt --client-key $admin/tls/client.key"
}

for ((i = 1; i <= orderers; i++)); do
	start_orderer "$i"
done
for ((i = 1; i <= orderers; i++)); do
	wait_healthy "orderer$i" "$(orderer_ops_port "$i")"
	# shellcheck disable=SC2046
	# A joined orderer keeps the channel across restarts; osnadmin exits 0 whatever the HTTP
	# status, so read its status line (201 joined, 405 already a member).
	if [[ ! -f "$STATE/data/orderer$i/joined" ]]; then
		log "joining orderer$i to channel $CHANNEL"
		# shellcheck disable=SC2046
		"$FABRIC_BIN/osnadmin" channel join --channelID "$CHANNEL" --config-block "$STATE/genesis.block" \
			$(osnadmin_args "$i") >"$STATE/logs/osnadmin.log" 2>&1
		grep -q '^Status: 20[01]\|^Status: 405' "$STATE/logs/osnadmin.log" || die "osnadmin channel join failed; see $STATE/logs/osnadmin.log"
		touch "$STATE/data/orderer$i/joined"
	fi
done

# --- peers ------------------------------------------------------------------------------------------
# builder_config ORG: the JSON the ccaas builder uses to fill in connection.json's templates, so one
# package serves every organisation: where ORG's chaincode servers listen (cc0..cc9), the TLS CA that
# signed their server certificates, and the client certificate this peer presents to them.
builder_config() {
	local org=$1 slot addrs="" pdir
	pdir=$(peer_dir "$org")
	for slot in 0 1 2 3 4 5 6 7 8 9; do
		addrs+="\"cc$slot\":\"127.0.0.1:$(chaincode_port "$org" "$slot")\","
	done
	printf '{%s"root_cert":%s,"client_cert":%s,"client_key":%s}' "$addrs" \
		"$(json_string <"$(org_tlsca "$org")")" "$(json_string <"$pdir/tls/server.crt")" "$(json_string <"$pdir/tls/server.key")"
}

# json_string: stdin as a JSON string literal (PEM text only needs newlines and quotes escaped).
json_string() {
	local s
	s=$(cat)
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "${s//$'\n'/\\n}"
}

start_peer() {
	local org=$1 dir name
	dir=$(peer_dir "$org")
	name=peer0.$org
	mkdir -p "$STATE/data/$name"
	local profile=()
	if [[ "${EDULEDGER_PROFILE:-}" == 1 ]]; then
		profile=(CORE_PEER_PROFILE_ENABLED=true CORE_PEER_PROFILE_LISTENADDRESS="127.0.0.1:$(peer_pprof_port "$org")")
	fi
	start_process "$name" env "${profile[@]}" \
		FABRIC_CFG_PATH="$STATE/config/peer" \
		FABRIC_LOGGING_SPEC="${EDULEDGER_FABRIC_LOGGING:-info}" \
		CORE_PEER_ID="$name.eduledger.local" \
		CORE_PEER_NETWORKID=eduledger \
		CORE_PEER_LOCALMSPID="${ORG_MSP[$org]}" \
		CORE_PEER_MSPCONFIGPATH="$dir/msp" \
		CORE_PEER_LISTENADDRESS="127.0.0.1:$(peer_port "$org")" \
		CORE_PEER_ADDRESS="127.0.0.1:$(peer_port "$org")" \
		CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$(peer_cc_port "$org")" \
		CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$(peer_cc_port "$org")" \
		CORE_PEER_GOSSIP_BOOTSTRAP="127.0.0.1:$(peer_port "$org")" \
		CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:$(peer_port "$org")" \
		CORE_PEER_GOSSIP_RECONNECTINTERVAL=2s \
		CORE_PEER_TLS_ENABLED=true \
		CORE_PEER_TLS_CERT_FILE="$dir/tls/server.crt" \
		CORE_PEER_TLS_KEY_FILE="$dir/tls/server.key" \
		CORE_PEER_TLS_ROOTCERT_FILE="$dir/tls/ca.crt" \
		CORE_PEER_FILESYSTEMPATH="$STATE/data/$name" \
		CORE_LEDGER_SNAPSHOTS_ROOTDIR="$STATE/data/$name/snapshots" \
		CORE_LEDGER_STATE_STATEDATABASE=goleveldb \
		CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:$(peer_ops_port "$org")" \
		CORE_METRICS_PROVIDER=prometheus \
		CORE_CHAINCODE_STARTUPTIMEOUT="${EDULEDGER_CC_STARTUP_TIMEOUT:-60s}" \
		CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG="$(builder_config "$org")" \
		"$FABRIC_BIN/peer" node start
}

for org in "${ORGS[@]}"; do
	start_peer "$org"
done
for org in "${ORGS[@]}"; do
	wait_healthy "peer0.$org" "$(peer_ops_port "$org")"
	peer_env "$org"
	if ! "$FABRIC_BIN/peer" channel getinfo -c "$CHANNEL" >/dev/null 2>&1; then
		log "joining peer0.$org to channel $CHANNEL"
		retry 20 "$FABRIC_BIN/peer" channel join -b "$STATE/genesis.block" || die "peer0.$org could not join $CHANNEL"
	fi
done

# --- tools built from this repository ------------------------------------------------------------
log "building the network tools"
(cd "$REPO_DIR" && go build -o "$STATE/bin/netctl" ./network/netctl) || die "go build ./network/netctl failed"

# --- staff identities with EduLedger attributes (cryptogen issues none) ------------------------
"$STATE/bin/netctl" staff -crypto "$CRYPTO" -out "$STATE/identities" || die "issuing staff identities failed"

# --- connection profiles ------------------------------------------------------------------------
peer_flags=()
for org in "${ORGS[@]}"; do
	peer_flags+=(-peer "$org=127.0.0.1:$(peer_port "$org")")
done
"$STATE/bin/netctl" profiles -crypto "$CRYPTO" -out "$STATE/profiles" "${peer_flags[@]}" ||
	die "writing connection profiles failed"

# --- chaincode, bootstrap, readiness ------------------------------------------------------------
if ((deploy)); then
	"$NETWORK_DIR/deploy.sh" --name "$CHAINCODE" --slot 0 --package ./cmd/chaincode
	log "waiting until the gateway of every organisation can endorse on every organisation"
	"$STATE/bin/netctl" ready -profiles "$STATE/profiles" -crypto "$CRYPTO" -timeout "${EDULEDGER_READY_TIMEOUT:-120s}" ||
		die "the network did not become ready; see $STATE/logs/"
	if [[ ! -f "$STATE/bootstrapped" ]]; then
		log "bootstrapping: fixing edu-bureau as the governing organisation"
		"$STATE/bin/netctl" bootstrap -profile "$STATE/profiles/gov.json" -identity "$STATE/identities/edu-bureau/admin" ||
			die "the bootstrap transaction failed"
		touch "$STATE/bootstrapped"
	fi
fi
log "up: channel $CHANNEL on $orderers orderer(s) and 3 peers; profiles in $STATE/profiles, staff identities in $STATE/identities"
