package netns

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"testing"
)

// A socket opened in Within lives in the namespace (it can bind an address only the namespace
// has, and a client inside reaches it), and the thread comes back to where it was.
func TestWithinOpensSocketsInTheNamespace(t *testing.T) {
	requireRoot(t)
	ns := newNamespace(t, "within")
	const addr = "192.0.2.1" // TEST-NET-1 (RFC 5737): on this machine only inside ns
	if err := IPBatch(t.Context(), ns, "link set lo up", "addr add "+addr+"/32 dev lo"); err != nil {
		t.Fatal(err)
	}
	if l, err := net.Listen("tcp4", addr+":0"); err == nil {
		l.Close()
		t.Fatalf("this machine's own namespace has %s: the test cannot tell the namespaces apart", addr)
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	var l net.Listener
	err = Within(ns, func() (err error) {
		l, err = net.Listen("tcp4", addr+":0")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if after, _ := os.Readlink("/proc/thread-self/ns/net"); after != before {
		t.Errorf("after Within(%s) returned, the thread is in %s, was in %s", ns, after, before)
	}

	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	port := l.Addr().(*net.TCPAddr).Port
	if out, err := Exec(t.Context(), ns, "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", addr, port)); err != nil {
		t.Fatalf("a client in %s could not reach the listener: %v: %s", ns, err, out)
	}
	if err := <-accepted; err != nil {
		t.Error(err)
	}
}
