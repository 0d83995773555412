package mirror

// SetPrefetchRows changes how many changed rows a run may hold before
// writing them, until the returned function restores it.
func SetPrefetchRows(n int) (restore func()) {
	old := prefetchRows
	prefetchRows = n
	return func() { prefetchRows = old }
}
