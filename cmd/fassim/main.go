// Command fassim runs the local FAS simulator (internal/oidc/fassim) for
// the browser tests and the demo: an OpenID provider on 127.0.0.1 where the
// tester chooses one of the MAGDA simulator's fictitious personas. It is
// not FAS. See docs/magda.md.
//
//	fassim [-listen 127.0.0.1:0] -client-id ID   (client secret from FASSIM_CLIENT_SECRET)
//
// It prints "fassim issuer <url>" once it serves, and stops on SIGINT or
// SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kluis/kluis/internal/oidc/fassim"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	clientID := flag.String("client-id", "kluis-demo", "client id Kluis is configured with")
	flag.Parse()
	s, err := fassim.Start(*listen, *clientID, os.Getenv("FASSIM_CLIENT_SECRET"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fassim:", err)
		os.Exit(1)
	}
	fmt.Println("fassim issuer", s.Issuer())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Close()
}
