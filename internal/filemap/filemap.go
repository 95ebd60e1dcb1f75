// Package filemap maps a file into memory for reading, so that a loader
// or a checker can parse a file of many gigabytes without reading it onto
// the heap. Sizes must be above zero: an empty file cannot be mapped.
package filemap
