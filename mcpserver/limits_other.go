//go:build !unix

package mcpserver

// capConnections returns limit: the file descriptor limit is not known here.
func capConnections(limit int) int { return limit }
