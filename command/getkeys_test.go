package command

import (
	"fmt"
	"slices"
	"testing"
)

func allSpecs() []*Spec {
	var out []*Spec
	for _, s := range Specs() {
		out = append(out, s)
		out = append(out, s.Subcommands...)
	}
	return out
}

// legacyKeys finds keys from the first/last/step triple COMMAND INFO
// publishes, as Redis's getKeysUsingLegacyRangeSpec does: no keys at all
// if the range runs past the arguments.
func legacyKeys(s *Spec, argc int) []int {
	if s.FirstKey == 0 {
		return nil
	}
	last := s.LastKey
	if last < 0 {
		last += argc
	}
	var out []int
	for i := s.FirstKey; i <= last; i += s.KeyStep {
		if i >= argc {
			return nil
		}
		out = append(out, i)
	}
	return out
}

// Where the key specs amount to a plain range (the command has no
// movablekeys flag), extracting keys from the specs must give the keys
// of the legacy triple, for every argument count the arity allows. One
// exception, Redis's own: when the arguments leave a spec's range empty
// (PFMERGE with no source key), the specs find no keys at all, where the
// triple still finds the others. Channel specs (not_key) are in the
// triple but are not keys.
func TestKeysAgreeWithLegacyRange(t *testing.T) {
	checked := 0
	for _, s := range allSpecs() {
		if slices.Contains(s.Flags, "movablekeys") || s.FirstKey == 0 {
			continue
		}
		notKey := false
		for _, ks := range s.KeySpecs {
			notKey = notKey || ks.flags&KeyNotKey != 0
		}
		if notKey {
			continue
		}
		counts := []int{s.Arity}
		if s.Arity < 0 {
			counts = []int{-s.Arity, 1 - s.Arity, 2 - s.Arity, 3 - s.Arity, 4 - s.Arity, 7 - s.Arity}
		}
		for _, argc := range counts {
			args := make([][]byte, argc)
			for i := range args {
				args[i] = []byte(fmt.Sprint("a", i))
			}
			want := legacyKeys(s, argc)
			for _, ks := range s.KeySpecs {
				if ks.Index >= argc {
					want = nil
				}
			}
			refs, err := s.AppendKeys(nil, args)
			var got []int
			for _, r := range refs {
				got = append(got, r.Pos)
			}
			if !slices.Equal(got, want) || (err != nil) != (len(want) == 0) {
				t.Errorf("%s with %d arguments: key specs give %v (%v), legacy range %d/%d/%d gives %v",
					s.Name, argc, got, err, s.FirstKey, s.LastKey, s.KeyStep, want)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("only %d argument counts checked", checked)
	}
}

// The specs must be usable by key extraction: steps that advance, and a
// command-specific finder wherever a spec cannot be followed alone
// (unknown, incomplete, or with flags that depend on the arguments).
func TestSpecsSupportKeyExtraction(t *testing.T) {
	names := map[string]bool{}
	for _, s := range allSpecs() {
		names[s.Name] = true
		needsFinder := false
		for _, ks := range s.KeySpecs {
			if (ks.FindKeys == "range" || ks.FindKeys == "keynum") && ks.KeyStep < 1 {
				t.Errorf("%s: key spec with step %d", s.Name, ks.KeyStep)
			}
			if ks.BeginSearch == "unknown" || ks.FindKeys == "unknown" ||
				ks.flags&(KeyIncomplete|KeyVariableFlags) != 0 {
				needsFinder = true
			}
		}
		if needsFinder && s.getKeys == nil {
			t.Errorf("%s: key specs are not enough and there is no key finder", s.Name)
		}
		if s.getKeys != nil && !slices.Contains(s.Flags, "movablekeys") && !s.varFlags {
			t.Errorf("%s: a key finder for a command whose keys do not move", s.Name)
		}
	}
	for name := range keyFinders {
		if !names[name] {
			t.Errorf("key finder for %q, which the specs do not have", name)
		}
	}
}

func TestKeyFlagNames(t *testing.T) {
	for _, s := range allSpecs() {
		for _, ks := range s.KeySpecs {
			if got := ks.flags.Names(); !slices.Equal(got, ks.Flags) {
				t.Errorf("%s: flags %v read back as %v", s.Name, ks.Flags, got)
			}
		}
	}
}

// Key extraction must not panic on argument counts the arity refuses:
// the server may ask before checking the arity.
func TestKeysAnyArgumentCount(t *testing.T) {
	for _, s := range allSpecs() {
		for argc := 0; argc < 12; argc++ {
			args := make([][]byte, argc)
			for i := range args {
				args[i] = []byte("1")
			}
			refs, _ := s.AppendKeys(nil, args)
			for _, r := range refs {
				if r.Pos < 1 || r.Pos >= argc {
					t.Errorf("%s with %d arguments: key at %d", s.Name, argc, r.Pos)
				}
			}
		}
	}
}
