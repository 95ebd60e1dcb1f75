//go:build !linux

package arena

// MapFilled is Map where the kernel cannot populate a mapping up front.
func MapFilled(size int) ([]byte, error) { return Map(size) }
