package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/gevent-go/gevent/server"
)

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "gevent-go test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}

func TestTLSRoundTrip(t *testing.T) {
	cert, roots := selfSigned(t)
	runHub(t, func(ctx context.Context) error {
		srv := &server.StreamServer{
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
			ErrorLog:  quiet,
			Handler: func(ctx context.Context, c net.Conn) {
				if _, ok := c.(*tls.Conn); !ok {
					t.Errorf("handler got %T, want *tls.Conn", c)
				}
				io.Copy(c, c)
			},
		}
		addr, _ := serve(ctx, t, srv)
		for range 2 {
			raw := dial(ctx, t, addr)
			c := tls.Client(raw, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
			if err := c.HandshakeContext(ctx); err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			c.Write([]byte("over tls"))
			buf := make([]byte, 8)
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "over tls" {
				t.Errorf("TLS echo = %q, %v", buf, err)
			}
			c.Close()
		}
		// A client that does not speak TLS is dropped; the server goes on.
		plain := dial(ctx, t, addr)
		plain.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
		io.ReadAll(plain)
		plain.Close()
		return srv.Shutdown(ctx)
	})
}
