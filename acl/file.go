package acl

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// The ACL file holds one "user <name> <rules...>" line per user, as ACL
// LIST prints them. ACL LOAD reads it all or nothing: the rules are
// applied to a fresh set of users and every bad line is reported, and
// only a file without errors replaces the users.

// ReadFile reads an ACL file for Load. name is the aclfile setting as
// configured, which Redis's messages quote.
func ReadFile(path, name string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("Error loading ACLs, opening file '%s': %s", name, strerror(err))}
	}
	return data, nil
}

// strerror renders an OS error as C's strerror does: Go's texts for
// errno values are glibc's, but in lower case.
func strerror(err error) string {
	var errno syscall.Errno
	if pe, ok := err.(*os.PathError); ok {
		if e, ok := pe.Err.(syscall.Errno); ok {
			errno = e
		}
	}
	s := err.Error()
	if errno != 0 {
		s = errno.Error()
	}
	if s != "" && 'a' <= s[0] && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// Load is ACL LOAD (and loading the aclfile at start-up) given the
// file's content; name is the aclfile setting, which the error messages
// quote. On success the users are replaced: the default user keeps its
// identity and takes the file's rules (or the built-in ones if the file
// does not define it), and every other previous user is returned, marked
// Removed, so that the server closes its connections, as Redis does even
// when the file defines the same user again. On error nothing changes
// and the error is Redis's single-line report of every problem found.
func (us *Users) Load(data []byte, name string) ([]*User, error) {
	var errs strings.Builder
	users := map[string]*User{}
	for i, line := range strings.Split(fileText(data), "\n") {
		num := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", name, num)
			continue
		}
		uname := argv[1]
		if hasSpaces(uname) {
			// The stray quote before the file name is Redis's.
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", name, num, uname)
			continue
		}
		if users[uname] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", uname, num)
			continue
		}
		u := newUser(uname, us.cmds, us.allChannels)
		users[uname] = u
		merged, bad := mergeSelectorArgs(argv[2:])
		if bad >= 0 {
			// Redis goes on to apply the rules merged before the
			// unclosed selector from an array it has freed, and crashes
			// if there are any; the error is all that is reported here.
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", name, num)
			continue
		}
		reported := false
		for _, op := range merged {
			op = strings.Trim(op, "\t\r\n")
			err := u.apply(op, us.allChannels)
			switch {
			case err == errUnknown:
				// A command name is not secret: every one is reported.
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", name, num, op, err)
			case err != 0 && !reported:
				// Other errors may quote a password, so only the first
				// is reported, without the rule.
				fmt.Fprintf(&errs, "%s:%d: %s. ", name, num, err)
				reported = true
			}
		}
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, &Error{Msg: errs.String()}
	}
	def := users[DefaultUserName]
	if def == nil {
		def = us.newDefaultUser()
	}
	us.def.copyRules(def)
	users[DefaultUserName] = us.def
	var replaced []*User
	for _, u := range us.All() {
		if u != us.def {
			u.removed = true
			replaced = append(replaced, u)
		}
	}
	us.users = users
	return replaced, nil
}

// fileText is the file as Redis reads it: with fgets into a 1024-byte
// buffer, each piece appended as a C string, so that a NUL byte drops
// the rest of its piece (a line, or 1023 bytes of a longer one), its
// newline included: the next line continues it.
func fileText(data []byte) string {
	var b strings.Builder
	for len(data) > 0 {
		n := min(len(data), 1023)
		if i := bytes.IndexByte(data[:n], '\n'); i >= 0 {
			n = i + 1
		}
		b.Write(cBytes(data[:n]))
		data = data[n:]
	}
	return b.String()
}

// Serialize is the ACL file ACL SAVE writes: ACL LIST's lines.
func (us *Users) Serialize() []byte {
	var b bytes.Buffer
	for _, line := range us.List() {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// SaveFile is ACL SAVE: it writes the users to a temporary file next to
// path and renames it over path. The error is for the server's log;
// the client gets MsgSaveFailed.
func (us *Users) SaveFile(path string) error {
	tmp := fmt.Sprintf("%s.tmp-%d-%d", path, os.Getpid(), time.Now().UnixMilli())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("Opening temp ACL file for ACL SAVE: %s", strerror(err))
	}
	_, err = f.Write(us.Serialize())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Writing ACL file for ACL SAVE: %s", strerror(err))
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Renaming ACL file for ACL SAVE: %s", strerror(err))
	}
	return nil
}
