//go:build linux && !(mips || mipsle || mips64 || mips64le)

package reuseport

// soReusePort is SO_REUSEPORT (the syscall package lacks it on amd64 and a
// few other ports; the value is the kernel's asm-generic one).
const soReusePort = 0xf
