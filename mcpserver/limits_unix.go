//go:build unix

package mcpserver

import "syscall"

// fdReserve is how many file descriptors the connection cap leaves for
// everything else: sources, secret files and their watchers, logs.
const fdReserve = 256

// capConnections lowers limit so that connections, with the health reserve,
// cannot use up the process's file descriptors: a server out of them can
// no longer re-read a rotated secret.
func capConnections(limit int) int {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil || rl.Cur > 1<<30 {
		return limit
	}
	room := int(rl.Cur) - fdReserve - healthReserve
	return max(min(limit, room), 1)
}
