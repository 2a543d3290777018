// Package ccaas serves a chaincode as a service: a gRPC server that Fabric peers dial (the address
// in the chaincode package's connection.json), with mutual TLS, Fabric's keepalive expectations, and
// a graceful stop when the context ends.
//
// The chaincode side of the peer protocol is the shim's own (shim.ChaincodeServer.Connect); this
// package owns only the listener and its lifetime, because shim.ChaincodeServer.Start cannot be
// stopped.
package ccaas

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

// Config says where and how a chaincode server listens.
type Config struct {
	// ID is the chaincode package ID ("label:sha256") the peers installed. The peers match it
	// against the package they route a chaincode to; with a wrong ID invocations hang until the
	// peer's chaincode startup timeout.
	ID string
	// Address is the host:port to listen on.
	Address string
	// TLSCertFile and TLSKeyFile are the server's TLS certificate and key (PEM).
	TLSCertFile, TLSKeyFile string
	// ClientCAFile, when set, is the PEM bundle of CAs whose client certificates peers must
	// present (mutual TLS).
	ClientCAFile string
	// Insecure serves plain gRPC without TLS. Only for tests on loopback.
	Insecure bool
	// ShutdownGrace bounds how long Serve waits for open peer streams when the context ends
	// (default 5 s).
	ShutdownGrace time.Duration
}

// Validate checks that c names an ID, an address and, unless Insecure, a key pair.
func (c *Config) Validate() error {
	switch {
	case c.ID == "":
		return errors.New("ccaas: the chaincode package ID is required")
	case c.Address == "":
		return errors.New("ccaas: the listen address is required")
	case !c.Insecure && (c.TLSCertFile == "" || c.TLSKeyFile == ""):
		return errors.New("ccaas: a TLS certificate and key are required (or Insecure for tests)")
	case c.Insecure && (c.TLSCertFile != "" || c.ClientCAFile != ""):
		return errors.New("ccaas: TLS files given together with Insecure")
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fmt.Errorf("ccaas: listen address %q: %w", c.Address, err)
	}
	return nil
}

// Server is a chaincode server bound to its listener.
type Server struct {
	cfg      Config
	listener net.Listener
	grpc     *grpc.Server
}

// Listen validates cfg, loads the TLS material and binds the listen address, so that errors show
// up before the caller reports the server as started.
func Listen(cfg Config, cc shim.Chaincode) (*Server, error) {
	if cc == nil {
		return nil, errors.New("ccaas: no chaincode")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 5 * time.Second
	}
	opts := []grpc.ServerOption{
		// Peers ping every 60 s by default (peer.keepalive.client.interval); allow it.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 15 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}),
		grpc.MaxRecvMsgSize(100 << 20),
		grpc.MaxSendMsgSize(100 << 20),
	}
	if !cfg.Insecure {
		tlsCfg, err := serverTLS(&cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
	}
	lis, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("ccaas: listen: %w", err)
	}
	s := grpc.NewServer(opts...)
	peer.RegisterChaincodeServer(s, &shim.ChaincodeServer{CCID: cfg.ID, Address: cfg.Address, CC: cc})
	return &Server{cfg: cfg, listener: lis, grpc: s}, nil
}

// Addr returns the address the server listens on (useful with port 0).
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Serve answers peers until ctx ends, then stops gracefully (open streams get ShutdownGrace to
// finish). It returns nil after a stop caused by ctx, or the error that ended serving.
func (s *Server) Serve(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- s.grpc.Serve(s.listener) }()
	select {
	case err := <-served:
		return fmt.Errorf("ccaas: serve: %w", err)
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(s.cfg.ShutdownGrace):
		s.grpc.Stop()
	}
	<-served
	return nil
}

func serverTLS(cfg *Config) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("ccaas: TLS key pair: %w", err)
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if cfg.ClientCAFile != "" {
		pem, err := os.ReadFile(cfg.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("ccaas: client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ccaas: client CA file %s holds no PEM certificate", cfg.ClientCAFile)
		}
		tlsCfg.ClientCAs = pool
		tlsCfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tlsCfg, nil
}
