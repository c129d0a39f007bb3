package postgres

// ResetPool closes every connection of s's live pool, as a network blip or
// connection lifetime expiry would: the next call must log in again.
func ResetPool(s *Source) {
	l, err := s.live.Acquire()
	if err != nil {
		return
	}
	defer l.Release()
	l.Value().Reset()
}
