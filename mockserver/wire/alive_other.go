//go:build !unix

package wire

import "net"

// connAlive cannot peek without blocking here: a connection the peer has
// closed fails its next request, as with net/http.
func connAlive(net.Conn) bool { return true }
