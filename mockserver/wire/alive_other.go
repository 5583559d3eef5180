//go:build !unix

package wire

import "net"

// aliveProbe cannot peek without blocking here: a connection the peer has
// closed fails its next request, as with net/http.
type aliveProbe struct{}

func newAliveProbe(net.Conn) *aliveProbe { return &aliveProbe{} }

func (*aliveProbe) check() bool { return true }
