package openapi

// ResetExtra forgets the routes registered with Extra (tests only).
func ResetExtra() {
	extraMu.Lock()
	defer extraMu.Unlock()
	extras = nil
	gen++
}
