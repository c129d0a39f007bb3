package secret

import "time"

// Status is name's health status alone, as Health reports it, without
// building the whole report: cheap enough for every request that checks a
// credential which lets callers in. ok is false for an undeclared name.
func (s *Store) Status(name string) (st Status, ok bool) {
	e, ok := s.byName[name]
	if !ok {
		return "", false
	}
	return e.health(time.Now()).Status, true
}
