package config

import "io/fs"

// umask is 0: Windows has none, and a chmod there only sets or clears the
// read-only attribute (from the owner's write bit), which 0644 leaves off.
func umask() fs.FileMode { return 0 }
