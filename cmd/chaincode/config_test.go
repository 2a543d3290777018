package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigTakesFlagsOverEnvironmentOverFabricNames(t *testing.T) {
	env := []string{"CHAINCODE_ID=fabric:1", "CHAINCODE_SERVER_ADDRESS=127.0.0.1:9999", "EDULEDGER_CHAINCODE_ADDRESS=127.0.0.1:8888"}
	cfg, err := loadConfig([]string{"--insecure"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ID != "fabric:1" || cfg.Address != "127.0.0.1:8888" {
		t.Errorf("from the environment: %+v", cfg)
	}
	cfg, err = loadConfig([]string{"--insecure", "--id", "flag:2", "--address", "127.0.0.1:7777"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ID != "flag:2" || cfg.Address != "127.0.0.1:7777" {
		t.Errorf("flags must win: %+v", cfg)
	}
}

func TestConfigRefusesTLSWithoutClientAuthentication(t *testing.T) {
	_, err := loadConfig([]string{"--id", "cc:1", "--address", "127.0.0.1:1", "--tls-cert", "a", "--tls-key", "b"}, nil)
	if err == nil || !strings.Contains(err.Error(), "tls_client_ca") {
		t.Fatalf("err = %v, want a demand for tls_client_ca", err)
	}
}

func TestProfilingIsOffUnlessAskedAndNeedsAnAddress(t *testing.T) {
	base := []string{"--insecure", "--id", "cc:1", "--address", "127.0.0.1:1"}
	cfg, err := loadConfig(base, nil)
	if err != nil || cfg.Pprof != "" {
		t.Fatalf("profiling must be off by default: %+v, %v", cfg, err)
	}
	cfg, err = loadConfig(base, []string{"EDULEDGER_CHAINCODE_PPROF=127.0.0.1:6061"})
	if err != nil || cfg.Pprof != "127.0.0.1:6061" {
		t.Fatalf("from the environment: %+v, %v", cfg, err)
	}
	if _, err := loadConfig(append(base, "--pprof", "6061"), nil); err == nil || !strings.Contains(err.Error(), "pprof") {
		t.Fatalf("a malformed address: %v", err)
	}
}

func TestGoverningMSPComesFromFlagOrEnvironmentAndMustBeAnMSPID(t *testing.T) {
	base := []string{"--insecure", "--id", "cc:1", "--address", "127.0.0.1:1"}
	for _, tc := range []struct {
		name    string
		args    []string
		env     []string
		want    string
		wantErr bool
	}{
		{"unset by default", base, nil, "", false},
		{"from the environment", base, []string{"EDULEDGER_CHAINCODE_GOVERNING_MSP=GovMSP"}, "GovMSP", false},
		{"the flag wins", append(slices.Clone(base), "--governing-msp", "BureauMSP"), []string{"EDULEDGER_CHAINCODE_GOVERNING_MSP=GovMSP"}, "BureauMSP", false},
		{"a path is not an MSP ID", append(slices.Clone(base), "--governing-msp", "msp/GovMSP"), nil, "", true},
		{"spaces are not an MSP ID", append(slices.Clone(base), "--governing-msp", "Gov MSP"), nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(tc.args, tc.env)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "governing_msp") {
					t.Fatalf("err = %v, want a governing_msp error", err)
				}
				return
			}
			if err != nil || cfg.GoverningMSP != tc.want {
				t.Fatalf("GoverningMSP = %+v, %v; want %q", cfg, err, tc.want)
			}
		})
	}
}

func TestProfilingEndpointsServeAndStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	servePprof(ctx, addr, slog.New(slog.DiscardHandler))
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("profiling endpoint: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	for i := 0; i < 50; i++ {
		if _, err := http.Get("http://" + addr + "/debug/pprof/"); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the profiling server kept serving after its context ended")
}
