package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/redoubt-db/redoubt/cnum"
)

// Parameters with a syntax of their own, and the validators of some
// string parameters.

// hzParam is hz: Redis takes any non-negative number and then holds it
// between 1 and 500.
func hzParam() *Param {
	p := intParam("hz", 10, 0, intMax, 0, func(v *Values) *int64 { return &v.Hz })
	set := p.set
	p.set = func(v *Values, args []string) error {
		if err := set(v, args); err != nil {
			return err
		}
		v.Hz = min(max(v.Hz, 1), 500)
		return nil
	}
	return p
}

// dirParam is the working directory. Redis changes into it at once, so a
// relative dir is relative to the previous one, and a directory that does
// not exist is refused with the system's message.
func dirParam() *Param {
	p := specialParam("dir", "", Protected|DenyLoading, func(v *Values) string { return v.Dir },
		func(v *Values, args []string) error {
			if len(args) != 1 {
				return errors.New("wrong number of arguments")
			}
			d := args[0]
			if d == "" {
				return errors.New(strerror(syscall.ENOENT))
			}
			if !filepath.IsAbs(d) && v.Dir != "" {
				d = filepath.Join(v.Dir, d)
			}
			d, err := filepath.Abs(d)
			if err != nil {
				return errors.New(strerror(err))
			}
			fi, err := os.Stat(d)
			if err != nil {
				return errors.New(strerror(err))
			}
			if !fi.IsDir() {
				return errors.New(strerror(syscall.ENOTDIR))
			}
			if real, err := filepath.EvalSymlinks(d); err == nil {
				d = real
			}
			v.Dir = d
			return nil
		},
		// The directory is always written, as an absolute path.
		func(v *Values) []rewriteLine { return []rewriteLine{{"dir " + repr(v.Dir), true}} })
	p.zeroDefault = true
	return p
}

// strerror renders an error as C's strerror would: "No such file or
// directory".
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

func saveParam() *Param {
	return specialParam("save", "3600 1 300 100 60 10000", MultiArg,
		func(v *Values) string {
			parts := make([]string, len(v.Save))
			for i, s := range v.Save {
				parts[i] = fmt.Sprintf("%d %d", s.Seconds, s.Changes)
			}
			return strings.Join(parts, " ")
		},
		func(v *Values, args []string) error {
			if len(args) == 1 && args[0] == "" {
				v.Save = nil
				args = nil
			}
			if len(args)%2 != 0 {
				return errors.New("Invalid save parameters")
			}
			points := make([]SavePoint, 0, len(args)/2)
			for i := 0; i < len(args); i += 2 {
				secs, rest1, _ := strtoll(args[i], 10)
				changes, rest2, _ := strtoll(args[i+1], 10)
				if rest1 != "" || rest2 != "" || secs < 1 || changes < 0 {
					return errors.New("Invalid save parameters")
				}
				// Redis keeps the number of changes in a C int.
				points = append(points, SavePoint{secs, int64(int32(changes))})
			}
			// A config file's save lines add up, but the first one
			// replaces the default points.
			switch {
			case !v.readingFile:
				v.Save = nil
			case !v.saveLoaded:
				v.saveLoaded = true
				v.Save = nil
			}
			v.Save = append(v.Save, points...)
			return nil
		},
		func(v *Values) []rewriteLine {
			if len(v.Save) == 0 {
				return []rewriteLine{{`save ""`, true}}
			}
			lines := make([]rewriteLine, len(v.Save))
			for i, s := range v.Save {
				lines[i] = rewriteLine{fmt.Sprintf("save %d %d", s.Seconds, s.Changes), true}
			}
			return lines
		})
}

// defaultObufLimits are the client output buffer limits by default:
// none for normal clients, 256mb/64mb/60s for replicas, 32mb/8mb/60s for
// pubsub clients.
var defaultObufLimits = [3]OutputBufferLimit{{}, {256 << 20, 64 << 20, 60}, {32 << 20, 8 << 20, 60}}

func obufParam() *Param {
	return specialParam("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", MultiArg,
		func(v *Values) string {
			parts := make([]string, len(obufClasses))
			for i, l := range v.ClientOutputBufferLimits {
				parts[i] = fmt.Sprintf("%s %d %d %d", obufClasses[i], l.Hard, l.Soft, l.SoftSeconds)
			}
			return strings.Join(parts, " ")
		},
		func(v *Values, args []string) error {
			if len(args)%4 != 0 {
				return errors.New("Wrong number of arguments in buffer limit configuration.")
			}
			limits := v.ClientOutputBufferLimits
			for i := 0; i < len(args); i += 4 {
				class := -1
				switch strings.ToLower(args[i]) {
				case "normal":
					class = 0
				case "slave", "replica":
					class = 1
				case "pubsub":
					class = 2
				}
				if class < 0 {
					return errors.New("Invalid client class specified in buffer limit configuration.")
				}
				hard, ok1 := memtoull(args[i+1])
				soft, ok2 := memtoull(args[i+2])
				secs, rest, _ := strtoll(args[i+3], 10)
				// Redis keeps the seconds in a C int.
				secs = int64(int32(secs))
				if !ok1 || !ok2 || secs < 0 || rest != "" {
					return errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
				}
				limits[class] = OutputBufferLimit{hard, soft, secs}
			}
			v.ClientOutputBufferLimits = limits
			return nil
		},
		func(v *Values) []rewriteLine {
			lines := make([]rewriteLine, len(obufClasses))
			for i, l := range v.ClientOutputBufferLimits {
				class := obufClasses[i]
				if class == "slave" {
					class = "replica"
				}
				lines[i] = rewriteLine{
					fmt.Sprintf("client-output-buffer-limit %s %s %s %d", class, formatMemory(int64(l.Hard)), formatMemory(int64(l.Soft)), l.SoftSeconds),
					l != defaultObufLimits[i],
				}
			}
			return lines
		})
}

func oomValuesParam() *Param {
	render := func(v *Values) string {
		return fmt.Sprintf("%d %d %d", v.OOMScoreAdjValues[0], v.OOMScoreAdjValues[1], v.OOMScoreAdjValues[2])
	}
	p := specialParam("oom-score-adj-values", "0 200 800", MultiArg, render,
		func(v *Values, args []string) error {
			if len(args) != len(v.OOMScoreAdjValues) {
				return errors.New("wrong number of arguments")
			}
			var vals [3]int64
			for i, a := range args {
				n, rest, _ := strtoll(a, 10)
				if rest != "" || n < -2000 || n > 2000 {
					return errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
				}
				vals[i] = n
			}
			v.OOMScoreAdjValues = vals
			return nil
		},
		func(v *Values) []rewriteLine {
			return []rewriteLine{{"oom-score-adj-values " + render(v), v.OOMScoreAdjValues != [3]int64{0, 200, 800}}}
		})
	return p.applyGroup("oom-score-adj")
}

// Keyspace notification flags, in the order Redis shows them.
const (
	notifyKeyspace = 1 << iota
	notifyKeyevent
	notifyGeneric
	notifyString
	notifyList
	notifySet
	notifyHash
	notifyZSet
	notifyExpired
	notifyEvicted
	notifyStream
	notifyKeyMiss
	notifyModule
	notifyNew
	notifyAll = notifyGeneric | notifyString | notifyList | notifySet | notifyHash | notifyZSet |
		notifyExpired | notifyEvicted | notifyStream | notifyModule
)

// notifyLetters are the class letters, in Redis's display order ('A'
// aside, K E and m last).
var notifyLetters = []struct {
	ch   byte
	flag int
}{
	{'g', notifyGeneric}, {'$', notifyString}, {'l', notifyList}, {'s', notifySet}, {'h', notifyHash},
	{'z', notifyZSet}, {'x', notifyExpired}, {'e', notifyEvicted}, {'t', notifyStream},
	{'d', notifyModule}, {'n', notifyNew}, {'K', notifyKeyspace}, {'E', notifyKeyevent}, {'m', notifyKeyMiss},
}

func parseNotify(s string) (int, bool) {
	flags := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 'A' {
			flags |= notifyAll
			continue
		}
		found := false
		for _, l := range notifyLetters {
			if l.ch == s[i] {
				flags |= l.flag
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	return flags, true
}

// notifyFlagsString renders flags. With lossy set, it does so as Redis shows
// them: 'A' for all the classes hides 'n', which 'A' does not include.
func notifyFlagsString(flags int, lossy bool) string {
	var b strings.Builder
	all := flags&notifyAll == notifyAll
	if all {
		b.WriteByte('A')
	}
	for _, l := range notifyLetters {
		if flags&l.flag == 0 || all && l.flag&notifyAll != 0 {
			continue
		}
		if all && lossy && l.flag == notifyNew {
			continue
		}
		b.WriteByte(l.ch)
	}
	return b.String()
}

func notifyParam() *Param {
	return specialParam("notify-keyspace-events", "", 0,
		func(v *Values) string { return notifyFlagsString(v.notify, true) },
		func(v *Values, args []string) error {
			if len(args) != 1 {
				return errors.New("wrong number of arguments")
			}
			flags, ok := parseNotify(args[0])
			if !ok {
				return errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
			}
			v.notify = flags
			v.NotifyKeyspaceEvents = notifyFlagsString(flags, false)
			return nil
		},
		func(v *Values) []rewriteLine {
			return []rewriteLine{{"notify-keyspace-events " + repr(notifyFlagsString(v.notify, true)), v.notify != 0}}
		})
}

// bindParam's default is the loopback interfaces, as in the redis.conf
// Redis ships, not Redis's built-in "* -::*": a server started without a
// config file is reachable from this host only.
const bindDefault = "127.0.0.1 -::1"

func bindParam() *Param {
	return specialParam("bind", bindDefault, MultiArg,
		func(v *Values) string { return strings.Join(v.Bind, " ") },
		func(v *Values, args []string) error {
			if len(args) > 16 {
				return errors.New("Too many bind addresses specified.")
			}
			// A single empty address, as in bind "", means none.
			if len(args) == 1 && args[0] == "" {
				args = nil
			}
			v.Bind = append([]string{}, args...)
			return nil
		},
		func(v *Values) []rewriteLine {
			if strings.Join(v.Bind, " ") == bindDefault {
				return nil
			}
			addrs := strings.Join(v.Bind, " ")
			if addrs == "" {
				addrs = `""`
			}
			return []rewriteLine{{"bind " + addrs, true}}
		}).alwaysApply()
}

func replicaOfParam() *Param {
	p := specialParam("replicaof", "", Immutable|MultiArg,
		func(v *Values) string {
			if v.ReplicaOfHost == "" {
				return ""
			}
			return fmt.Sprintf("%s %d", v.ReplicaOfHost, v.ReplicaOfPort)
		},
		func(v *Values, args []string) error {
			if len(args) != 2 {
				return errors.New("wrong number of arguments")
			}
			v.ReplicaOfHost = ""
			if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
				return nil
			}
			port, rest, overflow := strtoll(args[1], 10)
			if port < 0 || port > 65535 || rest != "" || overflow {
				return errors.New("Invalid master port")
			}
			v.ReplicaOfHost, v.ReplicaOfPort = args[0], port
			return nil
		},
		func(v *Values) []rewriteLine {
			if v.ReplicaOfHost == "" {
				return nil
			}
			return []rewriteLine{{fmt.Sprintf("replicaof %s %d", v.ReplicaOfHost, v.ReplicaOfPort), true}}
		}).alias("slaveof")
	p.zeroDefault = true
	return p
}

func percentilesParam() *Param {
	format := func(f float64) string {
		return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(f, 'f', 6, 64), "0"), ".")
	}
	return specialParam("latency-tracking-info-percentiles", "50 99 99.9", MultiArg,
		func(v *Values) string {
			parts := make([]string, len(v.LatencyPercentiles))
			for i, p := range v.LatencyPercentiles {
				parts[i] = format(p)
			}
			return strings.Join(parts, " ")
		},
		func(v *Values, args []string) error {
			if len(args) == 1 && args[0] == "" {
				args = nil
			}
			ps := make([]float64, 0, len(args))
			for _, a := range args {
				f, err := strconv.ParseFloat(a, 64)
				if err != nil || a == "" || cnum.IsSpace(a[0]) || f != f {
					v.LatencyPercentiles = nil
					return errors.New("Invalid latency-tracking-info-percentiles parameters")
				}
				if f < 0 || f > 100 {
					v.LatencyPercentiles = nil
					return errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
				}
				ps = append(ps, f)
			}
			v.LatencyPercentiles = ps
			return nil
		},
		func(v *Values) []rewriteLine {
			line := "latency-tracking-info-percentiles"
			if len(v.LatencyPercentiles) == 0 {
				line += ` ""`
			}
			for _, p := range v.LatencyPercentiles {
				line += " " + format(p)
			}
			return []rewriteLine{{line, true}}
		})
}

// validHostname checks cluster-announce-hostname as Redis does.
func validHostname(_ *Values, s string) error {
	if len(s) >= 256 {
		return errors.New("Hostnames must be less than 256 characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return errors.New("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return nil
}

// validProcTitle checks that a proc-title-template uses known variables
// only, and does not expand to nothing.
func validProcTitle(v *Values, s string) error {
	var out strings.Builder
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			out.WriteString(s)
			break
		}
		out.WriteString(s[:i])
		s = s[i+1:]
		if s == "" {
			return errProcTitle
		}
		if s[0] == '{' {
			out.WriteByte('{')
			s = s[1:]
			continue
		}
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return errProcTitle
		}
		switch s[:j] {
		case "title":
		case "server-mode":
			if v.ClusterEnabled {
				out.WriteString("[cluster]")
			}
		case "unixsocket":
			out.WriteString(v.UnixSocket)
		case "listen-addr", "config-file", "port", "tls-port":
			out.WriteString(s[:j])
		default:
			return errProcTitle
		}
		s = s[j+1:]
	}
	if strings.Trim(out.String(), " ") == "" {
		return errProcTitle
	}
	return nil
}

var errProcTitle = errors.New("template format is invalid or contains unknown variables")
