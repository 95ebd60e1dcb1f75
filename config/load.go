package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/redoubt-db/redoubt/protocol"
)

// LoadError is a fatal error in the configuration, reported as Redis
// reports it before exiting.
type LoadError struct {
	Line int    // 1-based, 0 if not tied to a line
	Text string // the offending line
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("Reading the configuration file, at line %d\n>>> '%s'\n%s", e.Line, e.Text, e.Msg)
}

// RenameError ties the failure of rename-command directive i (an unknown
// command, a name taken) to its line, as Redis reports it.
func (c *Config) RenameError(i int, err error) *LoadError {
	e := c.renameLines[i]
	e.Msg = err.Error()
	return &e
}

// ArgsToConfig turns command line options (--port 7000 --save "") into
// the config text that redis-server appends to the file's: a new line for
// each --name, each value quoted. The text starts with a newline, since
// Redis puts one between the file and the options.
func ArgsToConfig(args []string) string {
	var b strings.Builder
	// Until a lone --name has its value, the next argument is that value
	// even if it starts with "--".
	hasValue := true
	for i, a := range args {
		if !hasValue || !strings.HasPrefix(a, "--") {
			b.WriteString(repr(a))
			b.WriteByte(' ')
			hasValue = true
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(a[2:])
		b.WriteByte(' ')
		if words, _ := protocol.SplitArgs([]byte(a), nil); len(words) != 1 {
			continue // "--port 7000" as one argument
		}
		hasValue = false
		last := i == len(args)-1
		nextIsName := !last && strings.HasPrefix(args[i+1], "--")
		switch {
		// --save with no value, as generated command lines have it,
		// means save "".
		case strings.EqualFold(a, "--save") && (last || nextIsName):
			b.WriteString(`""`)
			hasValue = true
		// --sentinel takes no value.
		case strings.EqualFold(a, "--sentinel") && nextIsName:
			hasValue = true
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "\n" + b.String()
}

// Load reads configuration text (a file's content followed by the command
// line options) line by line, as Redis's loadServerConfigFromString does.
func (c *Config) Load(text string) error {
	if err := c.loadString(text); err != nil {
		return err
	}
	if c.moduleConfig {
		return &LoadError{Msg: "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"}
	}
	return nil
}

// loadString loads the text of one file (or of the whole configuration).
func (c *Config) loadString(text string) error {
	c.readingFile = true
	// Like Redis, the end of any file, included ones too, ends the
	// reading of save lines as a config file's.
	defer func() { c.readingFile = false }()
	// Redis reads a C string: a NUL byte ends it.
	if i := strings.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	for i, raw := range strings.Split(text, "\n") {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		at := LoadError{Line: i + 1, Text: line}
		fail := func(msg string) error { at.Msg = msg; return &at }
		args, ok := splitArgs(line)
		if !ok {
			return fail("Unbalanced quotes in configuration line")
		}
		if len(args) == 0 {
			continue
		}
		name := strings.ToLower(args[0])
		if e, ok := c.byName[name]; ok {
			vals := args[1:]
			multi := e.p.Flags&MultiArg != 0
			if !multi && len(vals) != 1 {
				return fail("wrong number of arguments")
			}
			// A multi-word value may come as one argument, as in
			// --save "900 1 300 10".
			if multi && len(vals) == 1 && vals[0] != "" {
				if vals, ok = splitArgs(vals[0]); !ok {
					vals = nil
				}
			}
			if err := e.p.set(&c.Values, vals); err != nil {
				return fail(err.Error())
			}
			continue
		}
		if deprecated[name] && len(args) == 2 {
			continue
		}
		switch {
		case name == "include" && len(args) == 2:
			if err := c.include(args[1]); err != nil {
				return err
			}
		case name == "rename-command" && len(args) == 3:
			c.Renames = append(c.Renames, [2]string{args[1], args[2]})
			c.renameLines = append(c.renameLines, at)
		case name == "user" && len(args) >= 2:
			if err := c.userDirective(args, at); err != nil {
				return err
			}
		case name == "loadmodule" && len(args) >= 2:
			return fail(fmt.Sprintf("Can't load module from %s: Redoubt does not support modules", args[1]))
		case strings.Contains(name, "."):
			if len(args) < 2 {
				return fail("Module config specified without value")
			}
			c.moduleConfig = true
		case name == "sentinel":
			// A lone "sentinel" asks for sentinel mode, which the
			// command line decides.
			if len(args) != 1 {
				return fail("sentinel directive while not in sentinel mode")
			}
		default:
			return fail("Bad directive or wrong number of arguments")
		}
	}
	if c.LogFile != "" {
		// Redis makes sure it can log before it starts.
		f, err := os.OpenFile(c.path(c.LogFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
		if err != nil {
			return &LoadError{Msg: "Can't open the log file: " + strerror(err)}
		}
		f.Close()
	}
	if c.ClusterEnabled && c.ReplicaOfHost != "" {
		return &LoadError{Msg: "replicaof directive not allowed in cluster mode"}
	}
	return nil
}

// deprecated directives are accepted and ignored, with one argument.
var deprecated = map[string]bool{
	"list-max-ziplist-entries": true,
	"list-max-ziplist-value":   true,
	"lua-replicate-commands":   true,
}

func splitArgs(line string) ([]string, bool) {
	argv, ok := protocol.SplitArgs([]byte(line), nil)
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = string(a)
	}
	return args, ok
}

// path resolves a file name as Redis would once in dir.
func (c *Config) path(name string) string {
	if filepath.IsAbs(name) || c.Dir == "" {
		return name
	}
	return filepath.Join(c.Dir, name)
}

// include loads other config files, as the include directive does: a
// pattern includes the files it matches, if any, as one text.
func (c *Config) include(name string) error {
	name = c.path(name)
	files := []string{name}
	if strings.ContainsAny(name, "*?[") {
		files, _ = filepath.Glob(name)
	}
	var text strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("Fatal error, can't open config file '%s': %s", f, strerror(err))
		}
		text.Write(data)
	}
	return c.loadString(text.String())
}
