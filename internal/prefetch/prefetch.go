// Package prefetch asks the CPU to start loading a cache line that code
// will read soon. A look-up in a big table waits on three dependent
// loads (bucket, entry, key), each a cache miss; for a pipelined batch
// of commands the server issues each stage's loads for the whole batch
// before it runs the first command, so that the misses overlap instead
// of following one another (what Valkey 8 does for its batches). A
// prefetch is a hint: an address that is not mapped is ignored, never
// a fault.
package prefetch
