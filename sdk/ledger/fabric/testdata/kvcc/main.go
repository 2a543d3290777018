// Command kvcc is a trivial key-value chaincode served as a service: the baseline "trivial put"
// transaction of the Fabric benchmarks and the chaincode of the Fabric backend's own tests (error
// mapping, MVCC retry, events, private data). It speaks the raw shim, without contractapi, so it
// measures what Fabric itself costs.
//
// Transactions: Put(key, value) writes and emits "put"; Get(key) reads (NOT_FOUND when absent);
// Add(key, delta) reads, adds and writes an integer (concurrent Adds on one key conflict); Fail(code,
// message) returns "code: message"; PutPrivate(key) writes the transient "value" to the caller's
// implicit collection; GetPrivate(key) reads it back.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/eduledger/eduledger/network/ccaas"
)

type kv struct{}

func (kv) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (kv) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	need := map[string]int{"Put": 2, "Get": 1, "Add": 2, "Fail": 2, "PutPrivate": 1, "GetPrivate": 1, "Ping": 0}
	n, ok := need[fn]
	if !ok {
		return shim.Error("INVALID: unknown function " + fn)
	}
	if len(args) != n {
		return shim.Error(fmt.Sprintf("INVALID: %s takes %d arguments", fn, n))
	}
	switch fn {
	case "Ping":
		return shim.Success([]byte("pong"))
	case "Put":
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		if err := stub.SetEvent("put", []byte(args[0])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case "Get":
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		if v == nil {
			return shim.Error("NOT_FOUND: no key " + args[0])
		}
		return shim.Success(v)
	case "Add":
		delta, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return shim.Error("INVALID: delta is not an integer")
		}
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		var cur int64
		if v != nil {
			if cur, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				return shim.Error("CONFLICT: key " + args[0] + " holds no integer")
			}
		}
		out := []byte(strconv.FormatInt(cur+delta, 10))
		if err := stub.PutState(args[0], out); err != nil {
			return shim.Error(err.Error())
		}
		if err := stub.SetEvent("add", out); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(out)
	case "Fail":
		return shim.Error(args[0] + ": " + args[1])
	case "PutPrivate", "GetPrivate":
		mspID, err := cid.GetMSPID(stub)
		if err != nil {
			return shim.Error(err.Error())
		}
		coll := "_implicit_org_" + mspID
		if fn == "GetPrivate" {
			v, err := stub.GetPrivateData(coll, args[0])
			if err != nil {
				return shim.Error(err.Error())
			}
			if v == nil {
				return shim.Error("NOT_FOUND: no private key " + args[0])
			}
			return shim.Success(v)
		}
		tm, err := stub.GetTransient()
		if err != nil {
			return shim.Error(err.Error())
		}
		if len(tm["value"]) == 0 {
			return shim.Error("INVALID: transient value is required")
		}
		if err := stub.PutPrivateData(coll, args[0], tm["value"]); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	}
	return shim.Error("INVALID: unknown function " + fn)
}

func main() {
	var cfg ccaas.Config
	flag.StringVar(&cfg.ID, "id", os.Getenv("CHAINCODE_ID"), "chaincode package ID")
	flag.StringVar(&cfg.Address, "address", os.Getenv("CHAINCODE_SERVER_ADDRESS"), "listen address")
	flag.StringVar(&cfg.TLSCertFile, "tls-cert", "", "TLS certificate (PEM)")
	flag.StringVar(&cfg.TLSKeyFile, "tls-key", "", "TLS key (PEM)")
	flag.StringVar(&cfg.ClientCAFile, "tls-client-ca", "", "CA of the peers' client certificates (PEM)")
	flag.Parse()
	srv, err := ccaas.Listen(cfg, kv{})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("kvcc %s serving on %s", cfg.ID, srv.Addr())
	if err := srv.Serve(ctx); err != nil {
		log.Fatal(err)
	}
}
