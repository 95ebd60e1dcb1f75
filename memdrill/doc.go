// Package memdrill holds process-level drills for the memory incidents
// of the catalogue, run against redoubt-server and the reference
// redis-server as separate processes, so that what the operating system
// sees of each (its resident memory) can be measured. It has tests only.
//
// Incident 6: a node whose resident memory reached 18 GB for 8 GB of
// data, and was killed. The drill churns values of varying sizes under
// maxmemory 256mb, far beyond what fits, and reads each server's peak
// and final resident memory.
package memdrill
