// Package registry is the name-to-part table behind source.Registry and
// tool.Registry: registration once, lookup, and sorted names for messages.
// There is no global table: the binary builds its own and tests theirs.
package registry

import (
	"sort"
	"sync"
)

// Set maps names to parts. Safe for concurrent use.
type Set[T any] struct {
	mu    sync.RWMutex
	parts map[string]T
	first string
}

// Add registers v as name. It panics on a duplicate name: registering a
// part twice is a programming error, not input. what names the kind of
// part in the message.
func (s *Set[T]) Add(what, name string, v T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parts == nil {
		s.parts = map[string]T{}
	}
	if _, dup := s.parts[name]; dup {
		panic(what + " registered twice: " + name)
	}
	s.parts[name] = v
	if s.first == "" {
		s.first = name
	}
}

// Lookup returns the part called name.
func (s *Set[T]) Lookup(name string) (T, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.parts[name]
	return v, ok
}

// First is the name registered first; empty when none is.
func (s *Set[T]) First() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.first
}

// Names lists the registered names, sorted.
func (s *Set[T]) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.parts))
	for n := range s.parts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
