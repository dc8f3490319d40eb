// Package reuseport lets several sockets listen on one address so that the
// kernel spreads the incoming connections (or datagrams) among them: how a
// server of a group of hubs gives each hub a listener of its own. It sets
// SO_REUSEPORT through net.ListenConfig.Control, with the standard library
// only; Supported is true on Linux, where the kernel balances among the
// sockets. Elsewhere (macOS and the BSDs accept SO_REUSEPORT but do not
// balance), servers accept on one hub and hand connections off.
package reuseport
