#!/usr/bin/env bash
# deploy.sh deploys a Go chaincode as a service on the running network: it builds the chaincode
# server, packages a ccaas package deterministically (the same inputs always give the same package
# ID), installs it on every peer, starts one chaincode server per organisation, approves the
# definition for every organisation, and commits it. Run again, it only does what is missing; a
# changed package (a new --version) becomes the next sequence of the definition (an upgrade).
#
# Usage: network/deploy.sh --name NAME --slot 0-9 --package GO_PACKAGE [--version V]
#   --slot picks the chaincode server ports (see lib.sh); up.sh deploys "eduledger" in slot 0.
# Code-only changes need no new definition: rebuild and restart the servers (deploy.sh --restart).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name="" slot="" pkg="" version=${EDULEDGER_CC_VERSION:-1} restart=0
while (($#)); do
	case $1 in
	--name) name=${2:-} && shift 2 ;;
	--slot) slot=${2:-} && shift 2 ;;
	--package) pkg=${2:-} && shift 2 ;;
	--version) version=${2:-} && shift 2 ;;
	--restart) restart=1 && shift ;;
	-h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[[ "$name" =~ ^[a-z][a-z0-9_-]{0,48}$ ]] || die "--name must be a lower-case chaincode name"
[[ "$slot" =~ ^[0-9]$ ]] || die "--slot must be a digit 0-9"
[[ -n "$pkg" ]] || die "--package (the Go package of the chaincode server) is required"
[[ "$version" =~ ^[A-Za-z0-9._-]{1,32}$ ]] || die "--version must be a short version string"
[[ -f "$STATE/genesis.block" ]] || die "no network in $STATE: run network/up.sh first"
resolve_fabric

label=${name}_$version
ccdir=$STATE/chaincode/$name
mkdir -p "$ccdir" "$STATE/bin"

# --- the chaincode server ----------------------------------------------------------------------
(cd "$REPO_DIR" && go build -o "$ccdir/server.new" "$pkg") || die "go build $pkg failed"
if [[ -f "$ccdir/server" ]] && cmp -s "$ccdir/server" "$ccdir/server.new"; then
	rm "$ccdir/server.new"
else
	mv "$ccdir/server.new" "$ccdir/server"
	restart=1
fi

# --- the ccaas package: metadata.json + code.tar.gz{connection.json} ---------------------------
# connection.json is a template the ccaas builder fills from each peer's
# CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG (see up.sh), so one package serves all organisations.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/code" "$work/pkg"
cat >"$work/code/connection.json" <<EOF
{
  "address": "{{.cc$slot}}",
  "dial_timeout": "10s",
  "tls_required": true,
  "client_auth_required": true,
  "root_cert": "{{.root_cert}}",
  "client_cert": "{{.client_cert}}",
  "client_key": "{{.client_key}}"
}
EOF
printf '{"type":"ccaas","label":"%s"}\n' "$label" >"$work/pkg/metadata.json"
# Sorted names, fixed owner and mtime, gzip without name or timestamp: a reproducible package.
det_tar() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=go-w -C "$1" -cf - "${@:2}" | gzip -n -9; }
det_tar "$work/code" connection.json >"$work/pkg/code.tar.gz"
det_tar "$work/pkg" metadata.json code.tar.gz >"$ccdir/package.tar.gz"
package_id=$label:$(sha256sum "$ccdir/package.tar.gz" | cut -d' ' -f1)
echo "$package_id" >"$ccdir/package-id"

# --- install on every peer -----------------------------------------------------------------------
for org in "${ORGS[@]}"; do
	peer_env "$org"
	if ! "$FABRIC_BIN/peer" lifecycle chaincode queryinstalled -O json 2>/dev/null | grep -q "\"$package_id\""; then
		log "installing $label on peer0.$org"
		retry 10 "$FABRIC_BIN/peer" lifecycle chaincode install "$ccdir/package.tar.gz" || die "install on peer0.$org failed"
	fi
done

# --- one chaincode server per organisation -------------------------------------------------------
for org in "${ORGS[@]}"; do
	proc=cc-$name.$org
	if [[ -f "$STATE/pids/$proc.id" && "$(cat "$STATE/pids/$proc.id")" != "$package_id" ]]; then
		restart=1
	fi
	if ((restart)); then
		stop_process "$proc"
	fi
	tls=$(org_dir "$org")/peers/chaincode.$org.eduledger.local/tls
	port=$(chaincode_port "$org" "$slot")
	extra=()
	# Options only for a server that offers them (EduLedger's cmd/chaincode does; a test chaincode
	# may not): who may initialise the ledger, and profiling endpoints on request.
	help=$("$ccdir/server" --help 2>&1 || true)
	if [[ "$help" == *--governing-msp* ]]; then
		extra+=(--governing-msp "${ORG_MSP[gov]}")
	fi
	if [[ "${EDULEDGER_PROFILE:-}" == 1 && "$help" == *--pprof* ]]; then
		extra+=(--pprof "127.0.0.1:$(chaincode_pprof_port "$org" "$slot")")
	fi
	start_process "$proc" "$ccdir/server" "${extra[@]}" \
		--id "$package_id" \
		--address "127.0.0.1:$port" \
		--tls-cert "$tls/server.crt" --tls-key "$tls/server.key" --tls-client-ca "$(org_tlsca "$org")"
	echo "$package_id" >"$STATE/pids/$proc.id"
	wait_listening "$proc" "$port"
done

# --- approve for every organisation, then commit ------------------------------------------------
json_number() { sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p" | head -n1; }
peer_env gov
committed_seq=$("$FABRIC_BIN/peer" lifecycle chaincode querycommitted -C "$CHANNEL" -n "$name" -O json 2>/dev/null |
	tr -d '\n' | json_number sequence || true)
committed_seq=${committed_seq:-0}

approved_package() { # ORG SEQUENCE: the package ID ORG approved for SEQUENCE, if any
	peer_env "$1"
	"$FABRIC_BIN/peer" lifecycle chaincode queryapproved -C "$CHANNEL" -n "$name" --sequence "$2" -O json 2>/dev/null |
		tr -d '\n' | sed -n 's/.*"package_id": *"\([^"]*\)".*/\1/p'
}

uptodate=1
if ((committed_seq == 0)); then
	uptodate=0
else
	for org in "${ORGS[@]}"; do
		[[ "$(approved_package "$org" "$committed_seq")" == "$package_id" ]] || uptodate=0
	done
fi
if ((uptodate)); then
	log "$name is committed at sequence $committed_seq with $package_id"
	exit 0
fi

sequence=$((committed_seq + 1))
# shellcheck disable=SC2046
for org in "${ORGS[@]}"; do
	if [[ "$(approved_package "$org" "$sequence")" != "$package_id" ]]; then
		log "approving $name sequence $sequence for ${ORG_MSP[$org]}"
		peer_env "$org"
		retry 40 "$FABRIC_BIN/peer" lifecycle chaincode approveformyorg $(orderer_args) -C "$CHANNEL" -n "$name" \
			--version "$version" --package-id "$package_id" --sequence "$sequence" --waitForEventTimeout 60s ||
			die "approval by ${ORG_MSP[$org]} failed"
	fi
done
log "committing $name sequence $sequence"
peer_env gov
# shellcheck disable=SC2046
retry 40 "$FABRIC_BIN/peer" lifecycle chaincode commit $(orderer_args) -C "$CHANNEL" -n "$name" \
	--version "$version" --sequence "$sequence" $(endorser_args) --waitForEventTimeout 60s ||
	die "commit of $name sequence $sequence failed"
log "$name committed at sequence $sequence with $package_id"
