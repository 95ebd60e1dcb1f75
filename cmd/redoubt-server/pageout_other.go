//go:build !linux

package main

// pageOutImage is Linux's only (MADV_PAGEOUT).
func pageOutImage() {}
