package command

import (
	_ "embed"
	"encoding/json"
	"strings"
	"sync"
)

// Spec is everything Redis publishes about a command through COMMAND INFO
// and COMMAND DOCS.
type Spec struct {
	Name        string    `json:"name"`
	Arity       int       `json:"arity"`
	Flags       []string  `json:"flags,omitempty"`
	FirstKey    int       `json:"first_key,omitempty"`
	LastKey     int       `json:"last_key,omitempty"`
	KeyStep     int       `json:"key_step,omitempty"`
	ACL         []string  `json:"acl_categories,omitempty"`
	Tips        []string  `json:"tips,omitempty"`
	KeySpecs    []KeySpec `json:"key_specs,omitempty"`
	Doc         Doc       `json:"doc"`
	Subcommands []*Spec   `json:"subcommands,omitempty"`

	// Derived from the above when the specs are loaded, for key
	// extraction.
	getKeys         keyFinder
	hasKeySpec      bool // a spec finds real keys, not only not_key ones
	varFlags        bool // a spec's flags depend on the arguments
	noMandatoryKeys bool
}

// KeySpec says where a command's keys are and what it does to them.
type KeySpec struct {
	Notes string   `json:"notes,omitempty"`
	Flags []string `json:"flags"`
	// BeginSearch is "index" (Index), "keyword" (Keyword, StartFrom) or
	// "unknown".
	BeginSearch string `json:"begin_search"`
	Index       int    `json:"index,omitempty"`
	Keyword     string `json:"keyword,omitempty"`
	StartFrom   int    `json:"startfrom,omitempty"`
	// FindKeys is "range" (LastKey, KeyStep, Limit), "keynum" (KeyNumIdx,
	// FirstKey, KeyStep) or "unknown".
	FindKeys  string `json:"find_keys"`
	LastKey   int    `json:"lastkey,omitempty"`
	KeyStep   int    `json:"keystep,omitempty"`
	Limit     int    `json:"limit,omitempty"`
	KeyNumIdx int    `json:"keynumidx,omitempty"`
	FirstKey  int    `json:"firstkey,omitempty"`

	flags KeyFlag // Flags, parsed
}

// Doc is a command's COMMAND DOCS entry. Absent optional fields are empty.
type Doc struct {
	Summary         string      `json:"summary,omitempty"`
	Since           string      `json:"since,omitempty"`
	Group           string      `json:"group"`
	Complexity      string      `json:"complexity,omitempty"`
	DocFlags        []string    `json:"doc_flags,omitempty"`
	DeprecatedSince string      `json:"deprecated_since,omitempty"`
	ReplacedBy      string      `json:"replaced_by,omitempty"`
	History         [][2]string `json:"history,omitempty"`
	Arguments       []Arg       `json:"arguments,omitempty"`
}

// Arg documents one argument.
type Arg struct {
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	KeySpecIndex    *int     `json:"key_spec_index,omitempty"`
	Token           *string  `json:"token,omitempty"` // MIGRATE has an empty one
	Summary         string   `json:"summary,omitempty"`
	Since           string   `json:"since,omitempty"`
	DeprecatedSince string   `json:"deprecated_since,omitempty"`
	Flags           []string `json:"flags,omitempty"`
	Arguments       []Arg    `json:"arguments,omitempty"`
}

//go:embed spec.json
var specJSON []byte

var (
	specsOnce  sync.Once
	specs      []*Spec
	newerNames = map[string]bool{}
)

// NewerThanReference reports whether a command comes from
// spec_newer.json: Redoubt has it, the Redis 7.0 reference does not, so
// differential tests leave it out.
func NewerThanReference(name string) bool {
	Specs()
	return newerNames[name]
}

// specNewerJSON describes the few commands Redoubt has that Redis 7.0
// lacks (so they are not in the captured table): those that appeared in
// a later Redis, written from the version that introduced them, and
// Redoubt's own (OBJECT HOTKEYS), whose summary says so.
//
//go:embed spec_newer.json
var specNewerJSON []byte

// Specs returns every command Redis 7.0 describes, as captured in
// spec.json, and the newer ones of spec_newer.json.
func Specs() []*Spec {
	specsOnce.Do(func() {
		if err := json.Unmarshal(specJSON, &specs); err != nil {
			panic("command: bad spec.json: " + err.Error())
		}
		var newer []*Spec
		if err := json.Unmarshal(specNewerJSON, &newer); err != nil {
			panic("command: bad spec_newer.json: " + err.Error())
		}
		for _, n := range newer {
			newerNames[n.Name] = true
			parent, _, isSub := strings.Cut(n.Name, "|")
			if !isSub {
				specs = append(specs, n)
				continue
			}
			for _, s := range specs {
				if s.Name == parent {
					s.Subcommands = append(s.Subcommands, n)
				}
			}
		}
		for _, s := range specs {
			s.prepare()
			for _, sub := range s.Subcommands {
				sub.prepare()
			}
		}
	})
	return specs
}

// prepare derives what key extraction needs from the published spec.
func (s *Spec) prepare() {
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		f, err := parseKeyFlags(ks.Flags)
		if err != nil {
			panic("command: bad spec.json: " + s.Name + ": " + err.Error())
		}
		ks.flags = f
		s.hasKeySpec = s.hasKeySpec || f&KeyNotKey == 0
		s.varFlags = s.varFlags || f&KeyVariableFlags != 0
	}
	for _, f := range s.Flags {
		s.noMandatoryKeys = s.noMandatoryKeys || f == "no_mandatory_keys"
	}
	s.getKeys = keyFinders[s.Name]
}
