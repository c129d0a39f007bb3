package secret

import "time"

// HealthOf is name's Health alone, without building the whole report:
// cheap enough for every request that checks a credential which lets
// callers in. ok is false for an undeclared name.
func (s *Store) HealthOf(name string) (h Health, ok bool) {
	e, ok := s.byName[name]
	if !ok {
		return Health{}, false
	}
	return e.health(time.Now()), true
}
