// goecho: an SCTP echo peer built on github.com/ishidawataru/sctp (Debian's
// golang-github-ishidawataru-sctp-dev), for csctp's interoperability tests.
//
//	goecho -listen 127.0.0.1:0
//
// It prints "listening <port>", accepts ONE association and sends every
// message back on the stream and with the PPID it came with (SCTPRead /
// SCTPWrite with SndRcvInfo), logging "recv stream=S ppid=P len=N" per
// message, the PPID as it is on the wire (the library hands over the raw
// network-order field).  When the peer shuts the association down, read
// returns EOF: it prints "eof after N messages" and exits 0.  Any error exits
// 1.  Every step is bounded by -timeout.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
	"unsafe"

	"github.com/ishidawataru/sctp"
)

// wire turns the raw sinfo_ppid (network byte order in memory) into the number it carries
func wire(raw uint32) uint32 {
	var b [4]byte
	*(*uint32)(unsafe.Pointer(&b[0])) = raw
	return binary.BigEndian.Uint32(b[:])
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "goecho: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address:port to listen on")
	timeout := flag.Duration("timeout", 60*time.Second, "bound on the whole run")
	flag.Parse()

	laddr, err := sctp.ResolveSCTPAddr("sctp", *listen)
	if err != nil {
		fail("resolve %s: %v", *listen, err)
	}
	ln, err := sctp.ListenSCTPExt("sctp", laddr, sctp.InitMsg{NumOstreams: 16, MaxInstreams: 16})
	if err != nil {
		fail("listen %s: %v", *listen, err)
	}
	port := ln.Addr().(*sctp.SCTPAddr).Port
	fmt.Printf("listening %d\n", port)

	// the test kills us if it goes wrong; this is the bound if the test itself is gone
	time.AfterFunc(*timeout, func() { fail("no end within %v", *timeout) })

	conn, err := ln.AcceptSCTP()
	if err != nil {
		fail("accept: %v", err)
	}
	ln.Close()
	// room for a whole 64 KiB message, so the kernel has no reason for a partial delivery
	if err := conn.SetReadBuffer(1 << 20); err != nil {
		fail("SO_RCVBUF: %v", err)
	}
	if err := conn.SubscribeEvents(sctp.SCTP_EVENT_DATA_IO); err != nil {
		fail("subscribe data_io: %v", err)
	}
	buf := make([]byte, 1<<17)
	count := 0
	for {
		n, info, err := conn.SCTPRead(buf)
		if err == io.EOF {
			fmt.Printf("eof after %d messages\n", count)
			conn.Close()
			os.Exit(0)
		}
		if err != nil {
			fail("read: %v", err)
		}
		if info == nil {
			fail("message %d came without SCTP_SNDRCV", count)
		}
		fmt.Printf("recv stream=%d ppid=%d len=%d\n", info.Stream, wire(info.PPID), n)
		out := &sctp.SndRcvInfo{Stream: info.Stream, PPID: info.PPID}
		if _, err := conn.SCTPWrite(buf[:n], out); err != nil {
			fail("write: %v", err)
		}
		count++
	}
}
