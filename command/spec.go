package command

import (
	_ "embed"
	"encoding/json"
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
	Token           string   `json:"token,omitempty"`
	Summary         string   `json:"summary,omitempty"`
	Since           string   `json:"since,omitempty"`
	DeprecatedSince string   `json:"deprecated_since,omitempty"`
	Flags           []string `json:"flags,omitempty"`
	Arguments       []Arg    `json:"arguments,omitempty"`
}

//go:embed spec.json
var specJSON []byte

var (
	specsOnce sync.Once
	specs     []*Spec
)

// Specs returns every command Redis 7.0 describes, as captured in
// spec.json.
func Specs() []*Spec {
	specsOnce.Do(func() {
		if err := json.Unmarshal(specJSON, &specs); err != nil {
			panic("command: bad spec.json: " + err.Error())
		}
	})
	return specs
}
