package main

import (
	"strings"
	"testing"
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
