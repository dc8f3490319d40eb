//go:build linux && (mips || mipsle || mips64 || mips64le)

package reuseport

// soReusePort is SO_REUSEPORT on MIPS (its own socket option numbers).
const soReusePort = 0x200
